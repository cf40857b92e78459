# roam testbed controller: an os-ken (Ryu) application that is the network's
# only OpenFlow 1.3 controller.
#
#  * forwarding: a table-miss flow sends everything to the switch's NORMAL
#    (L2 learning) pipeline; our topologies are trees, so no loop handling
#    beyond that is needed.
#  * discovery: os_ken.topology.switches (switches, LLDP links with
#    --observe-links, hosts).  Hosts are discovered from packet-ins, so ARP
#    and IPv4 frames from a (in_port, eth_src) pair the switch has not seen
#    recently are forwarded NORMALly AND copied (truncated) to the
#    controller; each packet-in installs a short-lived per-(in_port, eth_src)
#    bypass flow, so the controller sees a few frames of every source once
#    per --host-refresh seconds (default 10 s).  This keeps host discovery
#    self-healing after a controller restart or a host move without putting
#    bulk traffic on the control channel.  Whenever LLDP finds a new link the
#    bypass flows are dropped on all switches, so hosts that os-ken first saw
#    on a not-yet-known inter-switch port (and then forgot) are re-learned
#    at once rather than after the refresh period.
#  * REST: a subset of Ryu's ofctl_rest and rest_topology, same paths, same
#    JSON shapes, same status codes (Debian's python3-os-ken ships neither
#    app nor os_ken.app.wsgi, so this serves WSGI on eventlet directly):
#      GET  /stats/switches
#      GET  /stats/desc/<dpid>
#      GET  /stats/port/<dpid>[/<port>]
#      GET  /stats/portdesc/<dpid>[/<port>]       (port ignored below OF1.5)
#      GET|POST /stats/flow/<dpid>
#      GET|POST /stats/aggregateflow/<dpid>
#      GET  /stats/table/<dpid>
#      POST /stats/flowentry/{add,modify,modify_strict,delete,delete_strict}
#      DELETE /stats/flowentry/clear/<dpid>
#      GET  /v1.0/topology/{switches,links,hosts}[/<16-hex-digit dpid>]
#
# Settings come from the environment (the launcher testbed/controller/run
# sets them):  ROAM_CTL_REST_HOST (default 127.0.0.1),
# ROAM_CTL_REST_PORT (default 8080), ROAM_CTL_HOST_REFRESH (seconds, 10),
# ROAM_CTL_ACCESS_LOG (1 = log every HTTP request).
#
# Run with Debian's /usr/bin/python3 through osken-manager, e.g.
#   /usr/bin/osken-manager --observe-links --ofp-tcp-listen-port 6653 \
#       testbed/controller/roam_controller.py

import ast
import json
import logging
import os
import re
import signal
import sys

import eventlet
import eventlet.wsgi

from os_ken.base import app_manager
from os_ken.controller import dpset, ofp_event
from os_ken.controller.handler import (CONFIG_DISPATCHER, MAIN_DISPATCHER,
                                       DEAD_DISPATCHER, set_ev_cls)
from os_ken.lib import hub
from os_ken.lib import dpid as dpid_lib
from os_ken.lib import ofctl_v1_3
from os_ken.lib.packet import ethernet, ether_types
from os_ken.ofproto import ofproto_v1_3
from os_ken.topology import api as topo_api
from os_ken.topology import event as topo_event

LOG = logging.getLogger('roam_controller')

# Flow priorities and cookies of the flows this app installs itself.
COOKIE = 0x524f414d00          # "ROAM"<<8: table-miss and copy-to-controller
COOKIE_LEARNED = COOKIE | 0x01  # per-(in_port, eth_src) bypass flows
COOKIE_MASK_OURS = 0xffffffffffffff00
PRIO_TABLE_MISS = 0
PRIO_COPY = 10
PRIO_LEARNED = 20
COPY_LEN = 128  # bytes of each copied frame sent to the controller

SUPPORTED_OFCTL = {ofproto_v1_3.OFP_VERSION: ofctl_v1_3}

FLOW_COMMANDS = ('add', 'modify', 'modify_strict', 'delete', 'delete_strict')


class HttpError(Exception):
    def __init__(self, status):
        super().__init__(status)
        self.status = status


_STATUS_TEXT = {200: '200 OK', 400: '400 Bad Request', 404: '404 Not Found',
                405: '405 Method Not Allowed', 500: '500 Internal Server Error',
                501: '501 Not Implemented'}


def _env_int(name, default):
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


class RoamController(app_manager.OSKenApp):
    OFP_VERSIONS = [ofproto_v1_3.OFP_VERSION]
    _CONTEXTS = {'dpset': dpset.DPSet}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.dpset = kwargs['dpset']
        self.waiters = {}
        self.rest_host = os.environ.get('ROAM_CTL_REST_HOST', '127.0.0.1')
        self.rest_port = _env_int('ROAM_CTL_REST_PORT', 8080)
        self.host_refresh = _env_int('ROAM_CTL_HOST_REFRESH', 10)
        self.access_log = os.environ.get('ROAM_CTL_ACCESS_LOG', '0') == '1'
        self._routes = self._build_routes()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._on_signal)
        # Bind now so that a port clash fails the start, not a green thread.
        try:
            self._sock = eventlet.listen((self.rest_host, self.rest_port))
        except OSError as e:
            LOG.error('cannot listen on %s:%d: %s', self.rest_host,
                      self.rest_port, e)
            sys.stderr.flush()
            os._exit(3)
        LOG.info('REST API on http://%s:%d/', self.rest_host, self.rest_port)

    def start(self):
        thread = super().start()
        self.threads.append(hub.spawn(self._serve))
        return thread

    def _on_signal(self, signum, _frame):
        LOG.info('roam controller: exiting on %s', signal.Signals(signum).name)
        try:
            self._sock.close()
        except Exception:  # noqa: BLE001 - best effort on the way out
            pass
        logging.shutdown()
        sys.stderr.flush()
        os._exit(0)

    # ------------------------------------------------------------ OpenFlow

    @set_ev_cls(ofp_event.EventOFPSwitchFeatures, CONFIG_DISPATCHER)
    def _switch_features(self, ev):
        dp = ev.msg.datapath
        ofp = dp.ofproto
        parser = dp.ofproto_parser
        LOG.info('switch %016x connected', dp.id)
        # Replace whatever an earlier run of the controller left behind
        # (only our own cookie; flows added over REST stay).
        dp.send_msg(parser.OFPFlowMod(
            datapath=dp, cookie=COOKIE, cookie_mask=COOKIE_MASK_OURS,
            table_id=ofp.OFPTT_ALL, command=ofp.OFPFC_DELETE,
            out_port=ofp.OFPP_ANY, out_group=ofp.OFPG_ANY))
        self._add_flow(dp, PRIO_TABLE_MISS, parser.OFPMatch(),
                       [parser.OFPActionOutput(ofp.OFPP_NORMAL)])
        for eth_type in (ether_types.ETH_TYPE_ARP, ether_types.ETH_TYPE_IP):
            self._add_flow(dp, PRIO_COPY, parser.OFPMatch(eth_type=eth_type),
                           [parser.OFPActionOutput(ofp.OFPP_NORMAL),
                            parser.OFPActionOutput(ofp.OFPP_CONTROLLER,
                                                   COPY_LEN)])

    @set_ev_cls(ofp_event.EventOFPStateChange, [MAIN_DISPATCHER,
                                                DEAD_DISPATCHER])
    def _state_change(self, ev):
        dp = ev.datapath
        if ev.state == DEAD_DISPATCHER and dp.id is not None:
            LOG.info('switch %016x disconnected', dp.id)
            self.waiters.pop(dp.id, None)

    def _add_flow(self, dp, priority, match, actions, hard_timeout=0,
                  cookie=COOKIE):
        parser = dp.ofproto_parser
        inst = [parser.OFPInstructionActions(dp.ofproto.OFPIT_APPLY_ACTIONS,
                                             actions)]
        dp.send_msg(parser.OFPFlowMod(
            datapath=dp, cookie=cookie, priority=priority, match=match,
            instructions=inst, hard_timeout=hard_timeout))

    @set_ev_cls(topo_event.EventLinkAdd)
    def _link_add(self, ev):
        # os_ken.topology forgets hosts seen on ports that turn out to be
        # inter-switch ports (e.g. flooded frames that arrived before LLDP
        # found the link).  Drop the bypass flows everywhere so that every
        # source is copied to us again and re-learned at its real port.
        LOG.info('link %016x:%d -> %016x:%d', ev.link.src.dpid,
                 ev.link.src.port_no, ev.link.dst.dpid, ev.link.dst.port_no)
        for dp in list(self.dpset.dps.values()):
            ofp = dp.ofproto
            dp.send_msg(dp.ofproto_parser.OFPFlowMod(
                datapath=dp, cookie=COOKIE_LEARNED,
                cookie_mask=0xffffffffffffffff, table_id=ofp.OFPTT_ALL,
                command=ofp.OFPFC_DELETE, out_port=ofp.OFPP_ANY,
                out_group=ofp.OFPG_ANY))

    @set_ev_cls(ofp_event.EventOFPPacketIn, MAIN_DISPATCHER)
    def _packet_in(self, ev):
        msg = ev.msg
        dp = msg.datapath
        if msg.cookie != COOKIE:
            return  # LLDP (installed by os_ken.topology) or a REST flow
        try:
            eth = ethernet.ethernet.parser(msg.data)[0]
        except Exception:  # noqa: BLE001 - truncated or odd frame
            return
        if eth.ethertype not in (ether_types.ETH_TYPE_ARP,
                                 ether_types.ETH_TYPE_IP):
            return
        # The frame was already forwarded NORMALly by the switch; stop the
        # copies from this source on this port for a while.
        parser = dp.ofproto_parser
        self._add_flow(dp, PRIO_LEARNED,
                       parser.OFPMatch(in_port=msg.match['in_port'],
                                       eth_src=eth.src),
                       [parser.OFPActionOutput(dp.ofproto.OFPP_NORMAL)],
                       hard_timeout=self.host_refresh, cookie=COOKIE_LEARNED)

    @set_ev_cls([ofp_event.EventOFPStatsReply,
                 ofp_event.EventOFPDescStatsReply,
                 ofp_event.EventOFPFlowStatsReply,
                 ofp_event.EventOFPAggregateStatsReply,
                 ofp_event.EventOFPTableStatsReply,
                 ofp_event.EventOFPPortStatsReply,
                 ofp_event.EventOFPPortDescStatsReply], MAIN_DISPATCHER)
    def _stats_reply(self, ev):
        msg = ev.msg
        dp = msg.datapath
        per_dp = self.waiters.get(dp.id)
        if not per_dp or msg.xid not in per_dp:
            return
        lock, msgs = per_dp[msg.xid]
        msgs.append(msg)
        if msg.flags & dp.ofproto.OFPMPF_REPLY_MORE:
            return
        del per_dp[msg.xid]
        lock.set()

    # ------------------------------------------------------------ HTTP

    def _serve(self):
        log = _WsgiLog(self.access_log)
        try:
            eventlet.wsgi.server(self._sock, self._wsgi, log=log,
                                 log_output=self.access_log)
        except Exception:  # noqa: BLE001
            LOG.exception('REST server stopped')

    def _build_routes(self):
        dp_any = r'(?P<dpid>[^/]+)'
        dp_hex = r'(?P<dpid>%s)' % dpid_lib.DPID_PATTERN
        port = r'(?P<port>[^/]+)'
        get, post = ('GET',), ('POST',)
        both = ('GET', 'POST')
        r = [
            (get, r'/stats/switches', self.stats_switches),
            (get, r'/stats/desc/' + dp_any, self.stats_desc),
            (get, r'/stats/port/' + dp_any, self.stats_port),
            (get, r'/stats/port/' + dp_any + '/' + port, self.stats_port),
            (get, r'/stats/portdesc/' + dp_any, self.stats_portdesc),
            (get, r'/stats/portdesc/' + dp_any + '/' + port,
             self.stats_portdesc),
            (both, r'/stats/flow/' + dp_any, self.stats_flow),
            (both, r'/stats/aggregateflow/' + dp_any, self.stats_aggregate),
            (get, r'/stats/table/' + dp_any, self.stats_table),
            (post, r'/stats/flowentry/(?P<cmd>[^/]+)', self.flowentry),
            (('DELETE',), r'/stats/flowentry/clear/' + dp_any,
             self.flowentry_clear),
            (get, r'/v1.0/topology/switches', self.topo_switches),
            (get, r'/v1.0/topology/switches/' + dp_hex, self.topo_switches),
            (get, r'/v1.0/topology/links', self.topo_links),
            (get, r'/v1.0/topology/links/' + dp_hex, self.topo_links),
            (get, r'/v1.0/topology/hosts', self.topo_hosts),
            (get, r'/v1.0/topology/hosts/' + dp_hex, self.topo_hosts),
        ]
        return [(m, re.compile('^' + p + '/?$'), f) for m, p, f in r]

    def _wsgi(self, environ, start_response):
        method = environ.get('REQUEST_METHOD', 'GET')
        path = environ.get('PATH_INFO', '/')
        status, body = 404, b''
        try:
            length = int(environ.get('CONTENT_LENGTH') or 0)
            raw = environ['wsgi.input'].read(length) if length > 0 else b''
            for methods, rx, handler in self._routes:
                m = rx.match(path)
                if not m:
                    continue
                if method not in methods:
                    continue
                result = handler(raw, **m.groupdict())
                status = 200
                if result is not None:
                    body = json.dumps(result).encode()
                break
            else:
                status = 404  # as Ryu's routes mapper, also for a wrong method
        except HttpError as e:
            status = e.status
        except Exception:  # noqa: BLE001
            LOG.exception('%s %s failed', method, path)
            status = 500
        headers = [('Content-Length', str(len(body)))]
        if status == 200 and body:
            headers.append(('Content-Type', 'application/json'))
        else:
            headers.append(('Content-Type', 'text/html; charset=UTF-8'))
        start_response(_STATUS_TEXT.get(status, '%d Error' % status), headers)
        return [body]

    # ofctl_rest semantics -------------------------------------------------

    def _dp(self, dpid):
        try:
            dp = self.dpset.get(int(str(dpid), 0))
        except ValueError:
            raise HttpError(400)
        if dp is None:
            raise HttpError(404)
        ofctl = SUPPORTED_OFCTL.get(dp.ofproto.OFP_VERSION)
        if ofctl is None:
            raise HttpError(501)
        return dp, ofctl

    @staticmethod
    def _body(raw):
        if not raw:
            return {}
        text = raw.decode('utf-8', 'replace')
        try:
            body = json.loads(text)
        except ValueError:
            try:
                body = ast.literal_eval(text)  # what Ryu itself uses
            except (ValueError, SyntaxError):
                raise HttpError(400)
        if not isinstance(body, dict):
            raise HttpError(400)
        return body

    def _stats(self, fn, dpid, *args):
        dp, ofctl = self._dp(dpid)
        try:
            return getattr(ofctl, fn)(dp, self.waiters, *args)
        except (ValueError, KeyError, TypeError):
            raise HttpError(400)
        except AttributeError:
            raise HttpError(501)

    def stats_switches(self, raw):
        return list(self.dpset.dps.keys())

    def stats_desc(self, raw, dpid):
        return self._stats('get_desc_stats', dpid)

    def stats_port(self, raw, dpid, port=None):
        if port == 'ALL':
            port = None
        return self._stats('get_port_stats', dpid, port)

    def stats_portdesc(self, raw, dpid, port=None):
        return self._stats('get_port_desc', dpid)

    def stats_flow(self, raw, dpid):
        return self._stats('get_flow_stats', dpid, self._body(raw))

    def stats_aggregate(self, raw, dpid):
        return self._stats('get_aggregate_flow_stats', dpid, self._body(raw))

    def stats_table(self, raw, dpid):
        return self._stats('get_table_stats', dpid)

    def flowentry(self, raw, cmd):
        if cmd not in FLOW_COMMANDS:
            raise HttpError(404)
        body = self._body(raw)
        dpid = body.get('dpid')
        if not dpid:
            raise HttpError(400)
        dp, ofctl = self._dp(dpid)
        ofp = dp.ofproto
        command = {'add': ofp.OFPFC_ADD, 'modify': ofp.OFPFC_MODIFY,
                   'modify_strict': ofp.OFPFC_MODIFY_STRICT,
                   'delete': ofp.OFPFC_DELETE,
                   'delete_strict': ofp.OFPFC_DELETE_STRICT}[cmd]
        try:
            ofctl.mod_flow_entry(dp, body, command)
        except (ValueError, KeyError, TypeError):
            raise HttpError(400)
        except AttributeError:
            raise HttpError(501)
        return None

    def flowentry_clear(self, raw, dpid):
        dp, ofctl = self._dp(dpid)
        ofctl.mod_flow_entry(dp, {'table_id': dp.ofproto.OFPTT_ALL},
                             dp.ofproto.OFPFC_DELETE)
        return None

    # rest_topology semantics ----------------------------------------------

    @staticmethod
    def _topo_dpid(dpid):
        return None if dpid is None else dpid_lib.str_to_dpid(dpid)

    def topo_switches(self, raw, dpid=None):
        return [s.to_dict() for s in
                topo_api.get_switch(self, self._topo_dpid(dpid))]

    def topo_links(self, raw, dpid=None):
        return [link.to_dict() for link in
                topo_api.get_link(self, self._topo_dpid(dpid))]

    def topo_hosts(self, raw, dpid=None):
        return [h.to_dict() for h in
                topo_api.get_host(self, self._topo_dpid(dpid))]


class _WsgiLog(object):
    def __init__(self, enabled):
        self.enabled = enabled

    def write(self, message):
        if self.enabled:
            LOG.info(message.rstrip('\n'))

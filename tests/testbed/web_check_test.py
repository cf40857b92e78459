#!/usr/bin/python3
"""Unit tests of testbed/lib/web_check.py's verdict on what a page showed
(missing_from_page): the sentences the experiment's --check and
tests/integration/web_page.py fail with. No browser, no root."""
import os
import sys
import unittest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "testbed", "lib"))
import web_check  # noqa: E402

# What page_summary() returns for a page with everything on it.
FULL = {
    "hosts": ["h1", "h2", "h3"],
    "switches": ["s1", "s2"],
    "links": [{"src": "s1", "dst": "s2", "label": "9.73 Mbps / 100 Mbps (10%)"}],
    "hostlinks": [],
    "containers": [{"name": "iperf-server", "host": "h2", "moving": False},
                   {"name": "iperf-client", "host": "h1", "moving": False}],
    "decisions": [{"id": "d-1", "text": "DISPATCH iperf-server: h2 → h3"}],
    "migrations": [{"id": "m-1", "state": "done", "text": "", "segments": 5}],
}
WANT = dict(hosts=["h1", "h2", "h3"], switches=["s1", "s2"], links=1,
            containers=["iperf-server", "iperf-client"], migration=True,
            decision=True)


class MissingFromPage(unittest.TestCase):
    def test_a_complete_page_misses_nothing(self):
        self.assertEqual(web_check.missing_from_page(FULL, **WANT), [])

    def test_each_missing_part_is_named(self):
        page = dict(FULL, hosts=["h1", "h2"], switches=["s1"], links=[],
                    containers=FULL["containers"][:1], decisions=[],
                    migrations=[])
        self.assertEqual(web_check.missing_from_page(page, **WANT), [
            "host h3 is not on the page",
            "switch s2 is not on the page",
            "0 of 1 links drawn",
            "container iperf-client is not on the page",
            "no migration on the page",
            "no decision on the page",
        ])

    def test_a_link_without_its_load_label_is_a_problem(self):
        page = dict(FULL, links=[{"src": "s1", "dst": "s2", "label": ""}])
        self.assertEqual(web_check.missing_from_page(page, **WANT),
                         ["a link without its load label"])

    def test_an_empty_summary_misses_everything_asked(self):
        self.assertEqual(len(web_check.missing_from_page({}, **WANT)), 10)


if __name__ == "__main__":
    unittest.main()

#include "runtime/manager_metrics.hpp"

namespace roam::runtime {

namespace {

// Pre-copy rounds per migration: 1 (only the final round) to many.
std::vector<double> roundBuckets() {
  return {1, 2, 3, 4, 5, 6, 8, 10, 15, 20};
}

}  // namespace

ManagerMetrics::ManagerMetrics(metrics::Registry& r)
    : registry(r),
      evaluations(r.counter("roam_policy_evaluations_total",
                            "Evaluations of the active policy, by policy and outcome (idle: "
                            "not triggered; dispatch, dry-run, suppressed: a decision; error)",
                            {"policy", "outcome"})),
      decisions(r.counter("roam_decisions_total",
                          "Decisions recorded (decision log and VIB), by policy and outcome "
                          "(dispatch, dry-run, suppressed); a refusal repeated every interval "
                          "counts once",
                          {"policy", "outcome"})),
      decisionSeconds(r.histogram("roam_decision_duration_seconds",
                                  "Time to evaluate the policy and decide, per evaluation",
                                  {"policy"}, metrics::fastSecondsBuckets())),
      migrations(r.counter("roam_migrations_total",
                           "Migrations the manager ordered that ended, by mode (as the source "
                           "ran it) and result (success, failure)",
                           {"mode", "result"})),
      migrationsInFlight(
          r.gauge("roam_migrations_in_flight", "Migrations ordered and not yet ended")),
      migrationSeconds(r.histogram("roam_migration_duration_seconds",
                                   "Successful migrations: from the order to the source's DONE",
                                   {"mode"}, metrics::secondsBuckets())),
      freezeSeconds(r.histogram("roam_migration_freeze_seconds",
                                "Successful migrations: how long the container was frozen",
                                {"mode"}, metrics::secondsBuckets())),
      transferSeconds(r.histogram("roam_migration_transfer_seconds",
                                  "Successful migrations: the time of all transfer rounds "
                                  "together (pre-copy rounds and the final one)",
                                  {"mode"}, metrics::secondsBuckets())),
      sentBytes(r.counter("roam_migration_sent_bytes_total",
                          "Bytes the source agents sent for the migrations that ended", {"mode"})),
      precopyRounds(r.histogram("roam_migration_precopy_rounds",
                                "Successful migrations: transfer rounds, the final one included",
                                {"mode"}, roundBuckets())),
      keySeconds(r.histogram("roam_mtd_key_gathering_seconds",
                             "MTD migrations: the source agent's gathering of key material",
                             {"scheme"}, metrics::secondsBuckets())),
      reloads(r.counter("roam_policy_reloads_total",
                        "Hot reloads of the policy or the configuration, by result (success: "
                        "the new version is active; failure: rejected, the old one runs on)",
                        {"result"})),
      collectorPolls(r.counter("roam_collector_polls_total",
                               "Attempts of each measurement collector", {"collector"})),
      collectorErrors(r.counter("roam_collector_errors_total",
                                "Failed attempts of each measurement collector", {"collector"})),
      sampleAge(r.age("roam_collector_sample_age_seconds",
                      "Seconds since each collector's newest data (bandwidth: the newest port "
                      "sample; others: the last successful attempt)",
                      {"collector"})),
      vibRows(r.counter("roam_vib_rows_written_total",
                        "Rows written to the VIB, by table (committed transactions only)",
                        {"table"})),
      vibWriteErrors(
          r.counter("roam_vib_write_errors_total", "VIB write transactions that failed")) {
  r.addBuildInfo();
  for (const char* result : {"success", "failure"}) reloads.labels({result});
  migrationsInFlight.get();
  vibWriteErrors.get();
}

}  // namespace roam::runtime

// Results out (issue 19, Performance): signed results delivered to a local MLLP receiver with the
// ACK checked, against the ceiling of the same receiver driven by the same client with the same
// messages and no database (net::MllpClient alone); and the added time of a sign-off when one
// EHR destination is configured (the result row written in the sign-off's transaction), against
// a sign-off without. Prints one JSON line with the rates, the medians and the ratios.
// Usage: results_bench [RESULTS]   (release preset; bench/results runs it)
#include <fmt/format.h>
#include <sodium.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "base/log.h"
#include "crypto/signing_key.h"
#include "ehr/delivery.h"
#include "ingest/pipeline.h"
#include "ingest/readback.h"
#include "net/mllp_client.h"
#include "net/testing/mllp_receiver.h"
#include "report/hl7_result.h"
#include "report/service.h"
#include "store/clinical_reads.h"
#include "store/migrations.h"
#include "store/results.h"
#include "store/review.h"
#include "store/sqlite/sqlite_database.h"

namespace {

using namespace heartbase;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// The receiver answers every frame AA with its MSH-10 at once, as an interface engine does after
// it has stored the message (here: without storing it, so it is the ceiling's fast side).
using Receiver = net::testing::MllpReceiver;

std::string Message(int n) {
  return fmt::format(
      "MSH|^~\\&|CARELINK|MDT|||20260101120500+0000||ORU^R01^ORU_R01|RB{0:05}|P|2.6|||AL|NE\r"
      "PID|||model:A3DR01/serial:RB{0:05}S^^^MDT^U~MRN{0:05}^^^HOSP^MR||Bench^Pat||19480312|F\r"
      "OBR|1||S-{0}|754053^MDC_IDC_ENUM_SESS_TYPE_RemoteScheduled^MDC|||20260101120000+0000\r"
      "OBX|1|CWE|720897^MDC_IDC_DEV_TYPE^MDC||753665^MDC_IDC_ENUM_DEV_TYPE_IPG^MDC\r"
      "OBX|2|NM|721344^MDC_IDC_MSMT_BATTERY_VOLTAGE^MDC||2.95|V\r"
      "OBX|3|NM|^MDC_IDC_MSMT_LEADCHNL_RV_IMPEDANCE_VALUE^MDC|1|520|Ohm\r",
      n);
}

double Quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[static_cast<std::size_t>(q * static_cast<double>(v.size() - 1))];
}

int Fail(const std::string& what) {
  std::fprintf(stderr, "results_bench: %s\n", what.c_str());
  return 1;
}

int Run(int count) {
  if (sodium_init() < 0) return Fail("libsodium");
  base::log::SetLevel(base::log::Level::kWarn);  // one line per delivered result otherwise
  const fs::path dir = fs::temp_directory_path() / fmt::format("hb-results-bench-{}", ::getpid());
  fs::create_directories(dir);
  struct Cleanup {
    fs::path dir;
    ~Cleanup() { fs::remove_all(dir); }
  } cleanup{dir};
  auto db = store::OpenSqlite({.path = (dir / "heartbase.db").string(), .create = true});
  if (!db || !store::Migrate(**db, store::SqliteMigrations(), false)) return Fail("database");
  auto keys = crypto::KeyRing::Generate();
  auto signing = crypto::SigningKey::Generate();
  if (!keys || !signing) return Fail("keys");
  std::vector<std::int64_t> ids;
  {
    ingest::Pipeline pipeline(**db, *keys);
    for (int n = 0; n < 2 * count; ++n) {
      auto out = pipeline.Ingest(Message(n), "bench");
      if (!out || out->disposition != ingest::Disposition::kStored) return Fail("ingest");
      ids.push_back(out->id);
    }
  }
  if (!store::RunUnitOfWork(**db, store::Access::kWrite,
                            [](store::Transaction& tx) -> base::Status {
                              auto r = tx.Execute(
                                  "INSERT INTO app_user (id, name, display_name, role, created_us, "
                                  "updated_us) VALUES "
                                  "(1, 'doc', 'Doc', 'physician', 0, 0)");
                              if (!r) return r.error();
                              return {};
                            })) {
    return Fail("user");
  }
  // The patient of each interrogation, read before timing: the sign-off handler has the row
  // already (it checked the clinic), so only the result rows are the added work.
  std::vector<std::int64_t> patients;
  for (const std::int64_t id : ids) {
    auto tx = (*db)->Begin(store::Access::kRead);
    if (!tx) return Fail("read");
    auto row = store::GetInterrogation(**tx, id);
    if (!row) return Fail(row.error().Describe());
    patients.push_back(row->patient_id);
  }
  // Sign-offs alternate without and with a destination, so both see the same database size.
  std::vector<double> plain_us, with_us;
  std::vector<std::int64_t> with_ids;
  const std::vector<std::string> destinations = {"ehr"};
  for (int i = 0; i < 2 * count; ++i) {
    const bool with = i % 2 == 1;
    if (with) with_ids.push_back(ids[i]);
    const auto t0 = Clock::now();
    auto s = store::RunUnitOfWork(**db, store::Access::kWrite, [&](store::Transaction& tx) {
      if (auto r = store::SignOff(tx, *keys, ids[i], 1, "No action", 1); !r) return r;
      if (!with) return base::Status();
      auto q = store::EnqueueResults(tx, ids[i], patients[i], destinations, 1);
      return q ? base::Status() : base::Status(q.error());
    });
    if (!s) return Fail(s.error().Describe());
    (with ? with_us : plain_us)
        .push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  // The signed reports first, so that delivery measures messaging, not rendering.
  const report::ReportServices services{
      .db = **db,
      .keys = *keys,
      .signing_key = *signing,
      .parse = [](std::string_view raw) { return ingest::MapStored(raw); },
      .mapping_version = std::string(ingest::kMappingVersion),
      .write =
          [&db](const std::function<base::Status(store::Transaction&)>& work) {
            return store::RunUnitOfWork(**db, store::Access::kWrite, work);
          }};
  std::vector<std::string> messages;
  for (const std::int64_t id : with_ids) {
    if (!report::Produce(services, id, {.now_us = 2})) return Fail("report");
    auto tx = (*db)->Begin(store::Access::kRead);
    auto in = report::PrepareResult(**tx, *keys, id, services.parse);
    if (!in) return Fail(in.error().Describe());
    in->control_id = fmt::format("CEIL{}", id);
    in->message_time = "20260101120000+0000";
    auto m = report::BuildResultMessage({.name = "ehr", .assigning_authority = "HOSP"}, *in);
    if (!m) return Fail(m.error().Describe());
    messages.push_back(std::move(*m));
  }
  Receiver receiver;
  // Ceiling: the client and the receiver alone.
  auto client = net::MllpClient::Create({.host = "127.0.0.1", .port = receiver.port()});
  if (!client) return Fail(client.error().Describe());
  const auto c0 = Clock::now();
  for (const std::string& m : messages) {
    if (!client->Send(m)) return Fail("ceiling send");
  }
  const double ceiling_s = std::chrono::duration<double>(Clock::now() - c0).count();
  client->Close();
  // heartbase: the delivery worker reads the queue, prepares, builds, sends and records.
  auto destination = ehr::ParseDestination(
      fmt::format("name=ehr,host=127.0.0.1,port={},authority=HOSP", receiver.port()));
  if (!destination) return Fail(destination.error().Describe());
  const auto d0 = Clock::now();
  double delivery_s = 0;
  {
    ehr::ResultDelivery delivery(**db, *keys, services, {*destination});
    delivery.Poke();
    while (delivery.counts().sent < count) {
      if (delivery.counts().dead > 0) return Fail("a result went dead");
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    delivery_s = std::chrono::duration<double>(Clock::now() - d0).count();
  }
  const double bytes = static_cast<double>(messages.front().size());
  // Noise: the spread (p25..p75) of sign-offs without a destination.
  const double plain = Quantile(plain_us, 0.5), with = Quantile(with_us, 0.5);
  std::printf(
      "{\"bench\":\"results\",\"results\":%d,\"message_kb\":%.1f,\"delivered_per_s\":%.0f,"
      "\"ceiling_per_s\":%.0f,\"delivered_over_ceiling\":%.2f,\"signoff_us\":%.0f,"
      "\"signoff_p25_us\":%.0f,\"signoff_p75_us\":%.0f,\"signoff_with_destination_us\":%.0f,"
      "\"signoff_added_us\":%.0f,\"added_over_signoff_iqr\":%.2f}\n",
      count, bytes / 1024.0, count / delivery_s, count / ceiling_s, ceiling_s / delivery_s, plain,
      Quantile(plain_us, 0.25), Quantile(plain_us, 0.75), with, with - plain,
      (with - plain) / (Quantile(plain_us, 0.75) - Quantile(plain_us, 0.25)));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return Run(argc > 1 ? std::max(10, static_cast<int>(std::strtol(argv[1], nullptr, 10))) : 300);
}

// Fills a heartbase data directory for the API benchmark (bench/api; issue 4, Performance;
// shared/reference/performance.md B3a/B3c): PATIENTS patients, each with one device and two leads,
// and VISITS_PER_PATIENT interrogations spread evenly (with jitter) over the ten years before
// 2026-11-01, each carrying 30 trended numeric terms (battery, capacitor, lead channels, pacing
// percentages, heart rates, AT burden, therapies).
//
// Each interrogation is a compact but complete IHE IDCO ORU^R01 message written here (MSH, PID,
// OBR, lead and device identity, session, 30 NM observations; about 2.5 KB). A second thread
// parses and maps it with the production code (hl7::Message, idco::Map), and this thread stores it
// as the ingest pipeline does (store::PutBlob of the raw message as kind "hl7",
// store::MatchPatient, store::InsertInterrogation), except that --batch interrogations share one
// transaction. So every row is what ingest would have written: sealed patient, identifiers and
// name tokens, device and leads, the interrogation row and its trend rows.
//
// The raw message blob (interrogation.raw_blob_id; read only by GET /api/v1/interrogations/{id},
// which re-maps it) is, with --raw full, the whole message (about 4 KB sealed, so 1 M
// interrogations make a 5.5 GB database), and with --raw header (the default) its MSH, PID and
// OBR segments only (about 0.4 KB: a valid message for the same patient, device and session,
// without the observations; the database stays near the 1.8 GB of performance.md's trend set).
// The trend, interrogation-list and patient-search routes never read it.
//
// Interrogations are written patient by patient (all visits of patient 1, then patient 2 …):
// the trend table's clustered key (patient, code, time) then grows at its right edge and its pages
// end up full. A server that received the same data over ten years would hold the same rows in the
// same key order with pages about 70 % full; a 40-point trend read touches one or two leaf pages
// either way.
//
// Usage: api_db [--batch N] [--seed N] [--raw header|full] [--manifest FILE] DATA_DIR PATIENTS
//               VISITS_PER_PATIENT
//   DATA_DIR must come from `heartbase init --data DATA_DIR` and hold no interrogations yet.
//   --batch N        interrogations per transaction (default 1000).
//   --manifest FILE  one line per patient: patient id, device serial, MRN, family name, given
//                    name (tab-separated), for the benchmark's request targets.
// Prints one JSON line (counts, seconds, rates) on stdout; progress on stderr.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "base/time.h"
#include "crypto/key_ring.h"
#include "domain/interrogation.h"
#include "hl7/message.h"
#include "idco/mapper.h"
#include "store/blobs.h"
#include "store/interrogations.h"
#include "store/migrations.h"
#include "store/patients.h"
#include "store/sqlite/sqlite_database.h"

namespace {

namespace fs = std::filesystem;
using namespace heartbase;
using Clock = std::chrono::steady_clock;

constexpr std::int64_t kMicrosPerDay = 86'400'000'000LL;
constexpr int kYears = 10;

// The trended terms of every interrogation: code, canonical name, unit, typical value, how far a
// patient's own level may sit from it (relative), visit-to-visit noise (relative), change per
// year of follow-up (absolute), decimals.
struct Term {
  std::uint32_t code;
  std::string_view name;
  std::string_view unit;
  double typical, patient_spread, noise, per_year;
  int decimals;
  double low, high;
};

constexpr Term kTerms[] = {
    {721344, "MDC_IDC_MSMT_BATTERY_VOLTAGE", "V", 3.05, 0.02, 0.005, -0.04, 2, 2.4, 3.3},
    {721408, "MDC_IDC_MSMT_BATTERY_IMPEDANCE", "Ohm", 400, 0.2, 0.05, 60, 0, 50, 5000},
    {721472, "MDC_IDC_MSMT_BATTERY_REMAINING_LONGEVITY", "mo", 120, 0.2, 0.02, -11, 0, 0, 180},
    {721536, "MDC_IDC_MSMT_BATTERY_REMAINING_PERCENTAGE", "%", 95, 0.05, 0.01, -8, 0, 0, 100},
    {721728, "MDC_IDC_MSMT_CAP_CHARGE_TIME", "s", 8.5, 0.15, 0.05, 0.3, 1, 4, 20},
    {721792, "MDC_IDC_MSMT_CAP_CHARGE_ENERGY", "J", 35, 0.05, 0.01, 0, 1, 30, 41},
    {722048, "MDC_IDC_MSMT_LEADCHNL_RA_SENSING_INTR_AMPL", "mV", 3.0, 0.4, 0.15, 0, 1, 0.2, 8},
    {722052, "MDC_IDC_MSMT_LEADCHNL_RV_SENSING_INTR_AMPL", "mV", 11.5, 0.3, 0.1, 0, 1, 1, 25},
    {722060, "MDC_IDC_MSMT_LEADCHNL_LV_SENSING_INTR_AMPL", "mV", 14, 0.3, 0.1, 0, 1, 1, 25},
    {722176, "MDC_IDC_MSMT_LEADCHNL_RA_PACING_THRESHOLD_AMPLITUDE", "V", 0.6, 0.3, 0.1, 0.01, 2,
     0.2, 5},
    {722177, "MDC_IDC_MSMT_LEADCHNL_RV_PACING_THRESHOLD_AMPLITUDE", "V", 0.7, 0.3, 0.1, 0.01, 2,
     0.2, 5},
    {722179, "MDC_IDC_MSMT_LEADCHNL_LV_PACING_THRESHOLD_AMPLITUDE", "V", 1.2, 0.3, 0.1, 0.02, 2,
     0.3, 7.5},
    {722240, "MDC_IDC_MSMT_LEADCHNL_RA_PACING_THRESHOLD_PULSEWIDTH", "ms", 0.4, 0, 0, 0, 2, 0.1, 2},
    {722241, "MDC_IDC_MSMT_LEADCHNL_RV_PACING_THRESHOLD_PULSEWIDTH", "ms", 0.4, 0, 0, 0, 2, 0.1, 2},
    {722243, "MDC_IDC_MSMT_LEADCHNL_LV_PACING_THRESHOLD_PULSEWIDTH", "ms", 0.5, 0, 0, 0, 2, 0.1, 2},
    {722432, "MDC_IDC_MSMT_LEADCHNL_RA_IMPEDANCE_VALUE", "Ohm", 520, 0.2, 0.05, -3, 0, 200, 2000},
    {722433, "MDC_IDC_MSMT_LEADCHNL_RV_IMPEDANCE_VALUE", "Ohm", 560, 0.2, 0.05, -3, 0, 200, 2000},
    {722435, "MDC_IDC_MSMT_LEADCHNL_LV_IMPEDANCE_VALUE", "Ohm", 800, 0.2, 0.05, -5, 0, 200, 2500},
    {722624, "MDC_IDC_MSMT_LEADHVCHNL_IMPEDANCE", "Ohm", 65, 0.15, 0.05, 0, 0, 20, 200},
    {737520, "MDC_IDC_STAT_BRADY_RA_PERCENT_PACED", "%", 40, 0.6, 0.1, 0, 0, 0, 100},
    {737536, "MDC_IDC_STAT_BRADY_RV_PERCENT_PACED", "%", 60, 0.5, 0.05, 0, 0, 0, 100},
    {737808, "MDC_IDC_STAT_CRT_PERCENT_PACED", "%", 95, 0.03, 0.01, 0, 1, 50, 100},
    {737696, "MDC_IDC_STAT_AT_BURDEN_PERCENT", "%", 5, 1.0, 0.5, 0.5, 1, 0, 100},
    {737744, "MDC_IDC_STAT_AT_MODE_SW_COUNT", "{switches}", 6, 1.0, 0.8, 0.5, 0, 0, 500},
    {737633, "MDC_IDC_STAT_HEART_RATE_ATRIAL_MAX", "{beats}/min", 130, 0.15, 0.08, 0, 0, 60, 300},
    {737651, "MDC_IDC_STAT_HEART_RATE_VENTRICULAR_MEAN", "{beats}/min", 72, 0.1, 0.05, 0, 0, 40,
     140},
    {737650, "MDC_IDC_STAT_HEART_RATE_VENTRICULAR_MIN", "{beats}/min", 60, 0.05, 0.02, 0, 0, 30,
     100},
    {737824, "MDC_IDC_STAT_TACHYTHERAPY_SHOCKS_DELIVERED_RECENT", "{shocks}", 0.2, 1.0, 1.0, 0, 0,
     0, 20},
    {737888, "MDC_IDC_STAT_TACHYTHERAPY_ATP_DELIVERED_RECENT", "{seq}", 1.5, 1.0, 1.0, 0, 0, 0, 50},
    {737840, "MDC_IDC_STAT_TACHYTHERAPY_SHOCKS_DELIVERED_TOTAL", "{shocks}", 0.5, 1.0, 0.2, 0.6, 0,
     0, 200},
};
static_assert(std::size(kTerms) == 30);

struct Vendor {
  std::string_view application, mnemonic, serial_prefix, model;
};
constexpr Vendor kVendors[] = {
    {"CARELINK", "MDT", "BWX", "DTXB2QQ Claron Quad CRT-D"},
    {"LATITUDE", "BSX", "BSC", "G148 Resonate X4 CRT-D"},
    {"HOMEMONITORING", "BIO", "BIO", "Intica 7 HF-T QP"},
    {"MERLIN", "STJ", "SJM", "CDHFA500Q Gallant HF"},
};

constexpr std::string_view kSyllables[] = {"ber", "ka",  "lin", "mo", "ster", "van",  "do",  "ri",
                                           "son", "tal", "gu",  "he", "ne",   "wick", "por", "za"};
constexpr std::string_view kGivenNames[] = {
    "Anna",   "Ben",    "Clara", "David", "Eva",     "Felix",  "Greta", "Hugo",
    "Ines",   "Jonas",  "Karin", "Lukas", "Maria",   "Nils",   "Olga",  "Paul",
    "Rosa",   "Simon",  "Tina",  "Uwe",   "Vera",    "Walt",   "Xenia", "Yusuf",
    "Zoe",    "Amir",   "Bea",   "Carl",  "Dora",    "Emil",   "Frida", "Georg",
    "Hanna",  "Ivan",   "Jana",  "Karl",  "Lea",     "Max",    "Nora",  "Otto",
    "Petra",  "Rafael", "Sara",  "Theo",  "Ursula",  "Viktor", "Wanda", "Yara",
    "Zeno",   "Alma",   "Bruno", "Cora",  "Dieter",  "Elsa",   "Fritz", "Gisela",
    "Helmut", "Ilse",   "Jakob", "Klara", "Leopold", "Mila",   "Noah",  "Ottilie"};

// splitmix64: small, fast, deterministic on every machine.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t Next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, 1).
  double Unit() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  // Roughly normal (sum of four uniforms), mean 0, standard deviation 1.
  double Normal() { return (Unit() + Unit() + Unit() + Unit() - 2.0) * 1.7320508; }
  std::uint64_t Below(std::uint64_t n) { return Next() % n; }

 private:
  std::uint64_t state_;
};

struct Options {
  std::string data;
  std::uint32_t patients = 0;
  std::uint32_t visits = 0;
  std::size_t batch = 1000;
  std::uint64_t seed = 1;
  bool full_raw = false;
  std::string manifest;
};

// One patient's stable identity and device, and their own level of every trended term.
struct Profile {
  std::uint32_t index = 0;
  const Vendor* vendor = nullptr;
  std::string serial, mrn, family, given, birth_date, sex, ra_serial, rv_serial;
  std::int64_t implant_us = 0;
  double level[std::size(kTerms)] = {};
};

struct Item {
  std::uint32_t patient = 0;  // index of the patient (0-based)
  std::string raw;            // the raw message blob: the whole message or its header
  domain::Interrogation in;
};

std::optional<std::uint64_t> ParseNumber(std::string_view text) {
  if (text.empty() || text.size() > 19) return std::nullopt;
  std::uint64_t v = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return v;
}

std::optional<Options> ParseArgs(int argc, char** argv) {
  Options o;
  std::vector<std::string_view> positional;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if ((arg == "--batch" || arg == "--seed" || arg == "--manifest" || arg == "--raw") &&
        i + 1 < argc) {
      const std::string_view value = argv[++i];
      if (arg == "--manifest") {
        o.manifest = value;
        continue;
      }
      if (arg == "--raw") {
        if (value != "full" && value != "header") return std::nullopt;
        o.full_raw = value == "full";
        continue;
      }
      const auto n = ParseNumber(value);
      if (!n) return std::nullopt;
      if (arg == "--batch") {
        if (*n == 0 || *n > 1'000'000) return std::nullopt;
        o.batch = static_cast<std::size_t>(*n);
      } else {
        o.seed = *n;
      }
    } else if (arg.size() > 1 && arg[0] == '-') {
      return std::nullopt;
    } else {
      positional.push_back(arg);
    }
  }
  if (positional.size() != 3) return std::nullopt;
  o.data = positional[0];
  const auto patients = ParseNumber(positional[1]);
  const auto visits = ParseNumber(positional[2]);
  if (!patients || *patients == 0 || *patients > 10'000'000 || !visits || *visits == 0 ||
      *visits > 10'000) {
    return std::nullopt;
  }
  o.patients = static_cast<std::uint32_t>(*patients);
  o.visits = static_cast<std::uint32_t>(*visits);
  return o;
}

std::int64_t EndUs() { return base::DaysFromCivil(2026, 11, 1) * kMicrosPerDay; }
std::int64_t StartUs() { return EndUs() - static_cast<std::int64_t>(kYears) * 365 * kMicrosPerDay; }

Profile MakeProfile(std::uint64_t seed, std::uint32_t index) {
  Rng rng(seed * 0x100000001b3ULL + index);
  Profile p;
  p.index = index;
  p.vendor = &kVendors[index % std::size(kVendors)];
  p.serial = fmt::format("{}{:07}N", p.vendor->serial_prefix, index + 1);
  p.mrn = fmt::format("MRN{:07}", index + 1);
  for (int s = 0; s < 3; ++s) p.family += kSyllables[rng.Below(std::size(kSyllables))];
  p.family[0] = static_cast<char>(p.family[0] - 'a' + 'A');
  p.given = kGivenNames[rng.Below(std::size(kGivenNames))];
  p.birth_date =
      fmt::format("{:04}{:02}{:02}", 1930 + rng.Below(45), 1 + rng.Below(12), 1 + rng.Below(28));
  p.sex = rng.Below(2) == 0 ? "F" : "M";
  p.ra_serial = fmt::format("RA{:08}", index + 1);
  p.rv_serial = fmt::format("RV{:08}", index + 1);
  p.implant_us = StartUs() - static_cast<std::int64_t>(rng.Below(300)) * kMicrosPerDay;
  for (std::size_t t = 0; t < std::size(kTerms); ++t) {
    p.level[t] = kTerms[t].typical * (1.0 + kTerms[t].patient_spread * rng.Normal());
  }
  return p;
}

std::string Dtm(std::int64_t us) { return base::Hl7Utc(us); }

void AppendObx(std::string* m, int* set_id, std::string_view type, std::uint32_t code,
               std::string_view name, std::string_view sub_id, std::string_view value,
               std::string_view unit) {
  fmt::format_to(std::back_inserter(*m), "OBX|{}|{}|{}^{}^MDC|{}|{}|{}|||||F\r", ++*set_id, type,
                 code, name, sub_id, value, unit);
}

// The message of visit `visit` of patient `p`, whose session is at `session_us`.
std::string BuildMessage(const Profile& p, std::uint32_t visit, std::int64_t session_us,
                         std::uint64_t seed) {
  Rng rng((seed ^ 0x5bd1e995ULL) * 0x9e3779b97f4a7c15ULL + (std::uint64_t{p.index} << 20) + visit);
  const Vendor& v = *p.vendor;
  const bool in_clinic = visit % 4 == 0;
  const std::string_view session_type = in_clinic
                                            ? "754050^MDC_IDC_ENUM_SESS_TYPE_InClinic^MDC"
                                            : "754053^MDC_IDC_ENUM_SESS_TYPE_RemoteScheduled^MDC";
  std::string m;
  m.reserve(3072);
  auto out = std::back_inserter(m);
  fmt::format_to(out,
                 "MSH|^~\\&|{}|{}|HEARTBASE|BENCH|{}||ORU^R01^ORU_R01|API{:08}V{:05}|P|2.6|||AL|NE"
                 "|||||IHE_PCD_ORU_R01^IHE PCD^1.3.6.1.4.1.19376.1.6.1.9.1^ISO\r",
                 v.application, v.mnemonic, Dtm(session_us + 120'000'000), p.index + 1, visit);
  fmt::format_to(out, "PID|||MODEL:{}/SERIAL:{}^^^{}^U~{}^^^HOSP^MR||{}^{}||{}|{}\r", v.model,
                 p.serial, v.mnemonic, p.mrn, p.family, p.given, p.birth_date, p.sex);
  fmt::format_to(out, "OBR|1||S{:08}-{:05}|{}|||{}||||||||||||||||||F\r", p.index + 1, visit,
                 session_type, Dtm(session_us));
  int set_id = 0;
  const std::string implant = Dtm(p.implant_us).substr(0, 8);
  const std::string mfg = fmt::format("^MDC_IDC_ENUM_MFG_{}^MDC", v.mnemonic);
  struct LeadInfo {
    std::string_view instance, model, location;
    const std::string* serial;
  };
  const LeadInfo leads[] = {
      {"1", "5076 CapSureFix Novus", "^MDC_IDC_ENUM_LEAD_LOCATION_CHAMBER_RA^MDC", &p.ra_serial},
      {"2", "6935M Sprint Quattro", "753860^MDC_IDC_ENUM_LEAD_LOCATION_CHAMBER_RV^MDC",
       &p.rv_serial}};
  for (const LeadInfo& l : leads) {
    AppendObx(&m, &set_id, "ST", 720961, "MDC_IDC_LEAD_MODEL", l.instance, l.model, "");
    AppendObx(&m, &set_id, "ST", 720962, "MDC_IDC_LEAD_SERIAL", l.instance, *l.serial, "");
    AppendObx(&m, &set_id, "CWE", 720963, "MDC_IDC_LEAD_MFG", l.instance, mfg, "");
    AppendObx(&m, &set_id, "DTM", 720964, "MDC_IDC_LEAD_IMPLANT_DT", l.instance, implant, "");
    AppendObx(&m, &set_id, "CWE", 720966, "MDC_IDC_LEAD_LOCATION", l.instance, l.location, "");
  }
  AppendObx(&m, &set_id, "CWE", 720897, "MDC_IDC_DEV_TYPE", "",
            "753667^MDC_IDC_ENUM_DEV_TYPE_CRT_D^MDC", "");
  AppendObx(&m, &set_id, "ST", 720898, "MDC_IDC_DEV_MODEL", "", v.model, "");
  AppendObx(&m, &set_id, "ST", 720899, "MDC_IDC_DEV_SERIAL", "", p.serial, "");
  AppendObx(&m, &set_id, "CWE", 720900, "MDC_IDC_DEV_MFG", "", mfg, "");
  AppendObx(&m, &set_id, "DTM", 720901, "MDC_IDC_DEV_IMPLANT_DT", "", implant, "");
  AppendObx(&m, &set_id, "DTM", 721025, "MDC_IDC_SESS_DTM", "", Dtm(session_us), "");
  AppendObx(&m, &set_id, "CWE", 721026, "MDC_IDC_SESS_TYPE", "", session_type, "");
  const double years = static_cast<double>(session_us - p.implant_us) /
                       (365.25 * static_cast<double>(kMicrosPerDay));
  for (std::size_t t = 0; t < std::size(kTerms); ++t) {
    const Term& term = kTerms[t];
    double value = p.level[t] + term.per_year * years + term.typical * term.noise * rng.Normal();
    value = std::clamp(value, term.low, term.high);
    AppendObx(&m, &set_id, "NM", term.code, term.name, "",
              fmt::format("{:.{}f}", value, term.decimals), term.unit);
  }
  return m;
}

// Session time of every visit: evenly spaced over the ten years, each moved later by up to half
// the spacing, at a time of day between 08:00 and 18:00.
std::int64_t SessionUs(Rng* rng, std::uint32_t visit, std::uint32_t visits) {
  const std::int64_t span = EndUs() - StartUs();
  const std::int64_t step = span / visits;
  const std::int64_t day = StartUs() + step * visit +
                           static_cast<std::int64_t>(rng->Below(static_cast<std::uint64_t>(
                               std::max<std::int64_t>(step / 2 / kMicrosPerDay, 1)))) *
                               kMicrosPerDay;
  const std::int64_t midnight = day - day % kMicrosPerDay;
  return midnight + (8 * 3600 + static_cast<std::int64_t>(rng->Below(10 * 3600))) * 1'000'000;
}

// A bounded queue of batches between the generating/mapping thread and the writer.
class BatchQueue {
 public:
  explicit BatchQueue(std::size_t capacity) : capacity_(capacity) {}
  void Push(std::vector<Item> batch) {
    std::unique_lock lock(mu_);
    not_full_.wait(lock, [&] { return queue_.size() < capacity_ || stopped_; });
    if (stopped_) return;
    queue_.push_back(std::move(batch));
    not_empty_.notify_one();
  }
  // Nothing once the producer has finished and everything was taken.
  std::optional<std::vector<Item>> Pop() {
    std::unique_lock lock(mu_);
    not_empty_.wait(lock, [&] { return !queue_.empty() || done_ || stopped_; });
    if (queue_.empty() || stopped_) return std::nullopt;
    std::vector<Item> batch = std::move(queue_.front());
    queue_.pop_front();
    not_full_.notify_one();
    return batch;
  }
  void Finish(std::optional<std::string> error) {
    std::lock_guard lock(mu_);
    done_ = true;
    error_ = std::move(error);
    not_empty_.notify_all();
  }
  // The consumer gives up: wakes a blocked producer.
  void Stop() {
    std::lock_guard lock(mu_);
    stopped_ = true;
    not_full_.notify_all();
    not_empty_.notify_all();
  }
  bool stopped() {
    std::lock_guard lock(mu_);
    return stopped_;
  }
  std::optional<std::string> error() {
    std::lock_guard lock(mu_);
    return error_;
  }

 private:
  std::mutex mu_;
  std::condition_variable not_full_, not_empty_;
  std::deque<std::vector<Item>> queue_;
  std::size_t capacity_;
  bool done_ = false, stopped_ = false;
  std::optional<std::string> error_;
};

// Generates, parses and maps every message, patient by patient, in batches.
void Produce(const Options& o, BatchQueue* queue) {
  std::vector<Item> batch;
  batch.reserve(o.batch);
  hl7::Message message;
  for (std::uint32_t p = 0; p < o.patients; ++p) {
    const Profile profile = MakeProfile(o.seed, p);
    Rng times(o.seed * 31 + p);
    for (std::uint32_t v = 0; v < o.visits; ++v) {
      Item item;
      item.patient = p;
      std::string bytes = BuildMessage(profile, v, SessionUs(&times, v, o.visits), o.seed);
      if (auto s = message.Reset(bytes); !s) {
        queue->Finish(fmt::format("patient {} visit {}: parse: {}", p, v, s.error().message));
        return;
      }
      auto mapped = idco::Map(message);
      if (!mapped) {
        queue->Finish(fmt::format("patient {} visit {}: map: {}", p, v, mapped.error().message));
        return;
      }
      item.in = std::move(*mapped);
      item.raw = o.full_raw ? std::move(bytes) : bytes.substr(0, bytes.find("\rOBX|") + 1);
      batch.push_back(std::move(item));
      if (batch.size() == o.batch) {
        queue->Push(std::move(batch));
        if (queue->stopped()) return;
        batch = {};
        batch.reserve(o.batch);
      }
    }
  }
  if (!batch.empty()) queue->Push(std::move(batch));
  queue->Finish(std::nullopt);
}

int Fail(const std::string& what) {
  std::fprintf(stderr, "api_db: %s\n", what.c_str());
  return 1;
}

int Run(int argc, char** argv) {
  const auto options = ParseArgs(argc, argv);
  if (!options) {
    std::fprintf(stderr,
                 "usage: api_db [--batch N] [--seed N] [--raw header|full] [--manifest FILE] "
                 "DATA_DIR PATIENTS VISITS_PER_PATIENT\n");
    return 2;
  }
  const Options& o = *options;
  if (auto s = crypto::Initialize(); !s) return Fail(s.error().message);
  // Opened as app/data_dir.cpp opens it: the key file, then the database at the newest schema.
  auto keys = crypto::KeyRing::Load((fs::path(o.data) / "keyring").string());
  if (!keys) return Fail(fmt::format("{}/keyring: {}", o.data, keys.error().message));
  const std::string db_path = (fs::path(o.data) / "heartbase.db").string();
  std::error_code ec;
  if (!fs::exists(db_path, ec)) {
    return Fail(
        fmt::format("no database in {}; run heartbase init --data {} first", o.data, o.data));
  }
  auto db = store::OpenSqlite({.path = db_path});
  if (!db) return Fail(db.error().message);
  if (auto v = store::Migrate(**db, store::SqliteMigrations(), false); !v) {
    return Fail(v.error().message);
  }
  std::int64_t existing = 0;
  if (auto s = store::RunUnitOfWork(**db, store::Access::kRead,
                                    [&](store::Transaction& tx) -> base::Status {
                                      auto rows = tx.Query(
                                          "SELECT (SELECT count(*) FROM interrogation) + "
                                          "(SELECT count(*) FROM patient)");
                                      if (!rows) return rows.error();
                                      existing = rows->front().Int(0);
                                      return {};
                                    });
      !s) {
    return Fail(s.error().message);
  }
  if (existing != 0) return Fail(o.data + " already holds patients or interrogations");

  // A larger page cache for the writer connection: the blind-index and session-lookup indexes
  // take random inserts, and re-reading their pages from the OS for every batch is the largest
  // cost of a big build. (A connection setting; the server's own connections keep theirs.)
  if (auto s = store::RunUnitOfWork(**db, store::Access::kWrite,
                                    [](store::Transaction& tx) -> base::Status {
                                      auto r = tx.Execute("PRAGMA cache_size = -524288");
                                      if (!r) return r.error();
                                      return {};
                                    });
      !s) {
    std::fprintf(stderr, "api_db: cache_size not set (%s)\n", s.error().message.c_str());
  }

  std::vector<std::int64_t> patient_ids(o.patients, 0);
  BatchQueue queue(4);
  std::thread producer(Produce, std::cref(o), &queue);
  const std::uint64_t total = std::uint64_t{o.patients} * o.visits;
  std::uint64_t written = 0, next_report = total / 20;
  const auto start = Clock::now();
  std::optional<std::string> error;
  while (auto batch = queue.Pop()) {
    std::vector<std::pair<std::uint32_t, std::int64_t>> matched;
    auto s = store::RunUnitOfWork(
        **db, store::Access::kWrite, [&](store::Transaction& tx) -> base::Status {
          matched.clear();
          for (const Item& item : *batch) {
            const std::int64_t received =
                item.in.session_time ? item.in.session_time->ToUnixMicros() + 3'600'000'000LL : 0;
            auto raw = store::PutBlob(tx, *keys, "hl7", item.raw, received);
            if (!raw) return raw.error();
            auto match = store::MatchPatient(
                tx, *keys, item.in, store::ClinicScope{.clinics = {1}, .any = true}, received);
            if (!match) return match.error();
            auto inserted = store::InsertInterrogation(tx, *keys, item.in, *match, *raw, received);
            if (!inserted) return inserted.error();
            matched.emplace_back(item.patient, match->patient_id);
          }
          return {};
        });
    if (!s) {
      error = "write: " + s.error().message;
      break;
    }
    for (const auto& [index, id] : matched) patient_ids[index] = id;
    written += batch->size();
    if (written >= next_report) {
      const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
      std::fprintf(stderr, "api_db: %llu / %llu interrogations, %.0f s, %.0f/s\n",
                   static_cast<unsigned long long>(written), static_cast<unsigned long long>(total),
                   seconds, static_cast<double>(written) / seconds);
      next_report += std::max<std::uint64_t>(total / 20, 1);
    }
  }
  queue.Stop();
  producer.join();
  if (!error) error = queue.error();
  if (error) return Fail(*error);
  const double write_seconds = std::chrono::duration<double>(Clock::now() - start).count();

  std::int64_t trend_rows = 0, interrogations = 0;
  if (auto s = store::RunUnitOfWork(**db, store::Access::kRead,
                                    [&](store::Transaction& tx) -> base::Status {
                                      auto rows = tx.Query(
                                          "SELECT (SELECT count(*) FROM trend), "
                                          "(SELECT count(*) FROM interrogation)");
                                      if (!rows) return rows.error();
                                      trend_rows = rows->front().Int(0);
                                      interrogations = rows->front().Int(1);
                                      return {};
                                    });
      !s) {
    return Fail(s.error().message);
  }
  if (!o.manifest.empty()) {
    std::ofstream manifest(o.manifest, std::ios::trunc);
    for (std::uint32_t p = 0; p < o.patients; ++p) {
      const Profile profile = MakeProfile(o.seed, p);
      manifest << patient_ids[p] << '\t' << profile.serial << '\t' << profile.mrn << '\t'
               << profile.family << '\t' << profile.given << '\n';
    }
    if (!manifest.flush()) return Fail("cannot write " + o.manifest);
  }
  db->reset();  // the last connection to close checkpoints the WAL into the database file
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  const auto bytes = fs::file_size(db_path, ec);
  std::printf(
      "{\"patients\":%u,\"visits_per_patient\":%u,\"interrogations\":%lld,\"trend_rows\":%lld,"
      "\"batch\":%zu,\"raw\":\"%s\",\"write_seconds\":%.1f,\"seconds\":%.1f,\"interrogations_per_"
      "s\":%.0f,"
      "\"trend_rows_per_s\":%.0f,\"db_bytes\":%llu,\"from_us\":%lld,\"to_us\":%lld}\n",
      o.patients, o.visits, static_cast<long long>(interrogations),
      static_cast<long long>(trend_rows), o.batch, o.full_raw ? "full" : "header", write_seconds,
      seconds, static_cast<double>(interrogations) / write_seconds,
      static_cast<double>(trend_rows) / write_seconds,
      static_cast<unsigned long long>(ec ? 0 : bytes), static_cast<long long>(StartUs()),
      static_cast<long long>(EndUs()));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "api_db: %s\n", e.what());
    return 1;
  }
}

// Generate (the demo clinic: plan each patient, simulate each session, write each message) and
// GenerateBench (fixed-shape messages for the parser benchmark).
#include "demo/generator.h"

#include <fmt/format.h>

#include <optional>

#include "base/error.h"
#include "demo/internal/message_writer.h"
#include "demo/internal/session_message.h"
#include "demo/internal/session_values.h"
#include "demo/internal/story.h"
#include "demo/pdf.h"

namespace heartbase::demo {
namespace internal {
namespace {

constexpr std::uint32_t kMaxPatients = 100'000;
constexpr std::uint32_t kMaxYears = 30;
constexpr std::uint32_t kMaxBenchCount = 10'000'000;
constexpr std::uint32_t kMaxBenchObx = 50'000;
constexpr std::uint32_t kMaxBenchPdfKb = 8192;

base::Error Invalid(std::string message) {
  return base::MakeError(base::ErrorCode::kInvalidArgument, std::move(message));
}

// Day number of a YYYYMMDD date in 1980–2199.
std::optional<std::int64_t> ParseEndDate(std::string_view s) {
  if (s.size() != 8) return std::nullopt;
  int digits[8];
  for (std::size_t i = 0; i < 8; ++i) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
    digits[i] = s[i] - '0';
  }
  const int y = digits[0] * 1000 + digits[1] * 100 + digits[2] * 10 + digits[3];
  const int m = digits[4] * 10 + digits[5], d = digits[6] * 10 + digits[7];
  if (y < 1980 || y > 2199 ||
      !base::IsValidDate(y, static_cast<unsigned>(m), static_cast<unsigned>(d))) {
    return std::nullopt;
  }
  return DaysFrom(Civil{y, m, d});
}

// ---- GenerateBench: an endless stream of realistic OBX, cut at the requested count. ----

enum class Kind : std::uint8_t { kNumber, kText, kCoded, kTime };
struct BenchTerm {
  std::string_view ref;
  std::uint32_t code;
  Kind kind;
  Unit unit = Unit::kNone;
  int lo = 0, hi = 0, decimals = 0;
  int instance = 0;
  const EnumValue* value = nullptr;
};

constexpr BenchTerm kBenchBase[] = {
    {"MDC_IDC_DEV_TYPE", 720897, Kind::kCoded, Unit::kNone, 0, 0, 0, 0, &kDeviceTypeEnums[2]},
    {"MDC_IDC_DEV_MODEL", 720898, Kind::kText},
    {"MDC_IDC_DEV_SERIAL", 720899, Kind::kText},
    {"MDC_IDC_DEV_MFG", 720900, Kind::kCoded},
    {"MDC_IDC_DEV_IMPLANT_DT", 720901, Kind::kTime},
    {"MDC_IDC_SESS_DTM", 721025, Kind::kTime},
    {"MDC_IDC_SESS_TYPE", 721026, Kind::kCoded, Unit::kNone, 0, 0, 0, 0, &kSessRemoteScheduled},
    {"MDC_IDC_MSMT_BATTERY_STATUS", 721280, Kind::kCoded, Unit::kNone, 0, 0, 0, 0,
     &kBatteryStatusMos},
    {"MDC_IDC_MSMT_BATTERY_VOLTAGE", 721344, Kind::kNumber, Unit::kVolt, 285, 305, 2},
    {"MDC_IDC_MSMT_BATTERY_REMAINING_LONGEVITY", 721472, Kind::kNumber, Unit::kMonth, 30, 90, 0},
    {"MDC_IDC_MSMT_CAP_CHARGE_TIME", 721728, Kind::kNumber, Unit::kSecond, 70, 100, 1},
    {"MDC_IDC_MSMT_LEADCHNL_RA_SENSING_INTR_AMPL", 722048, Kind::kNumber, Unit::kMilliVolt, 15, 45,
     1},
    {"MDC_IDC_MSMT_LEADCHNL_RA_PACING_THRESHOLD_AMPLITUDE", 722176, Kind::kNumber, Unit::kVolt, 50,
     100, 2},
    {"MDC_IDC_MSMT_LEADCHNL_RA_PACING_THRESHOLD_PULSEWIDTH", 722240, Kind::kNumber,
     Unit::kMilliSecond, 40, 40, 2},
    {"MDC_IDC_MSMT_LEADCHNL_RA_IMPEDANCE_VALUE", 722432, Kind::kNumber, Unit::kOhm, 380, 620, 0},
    {"MDC_IDC_MSMT_LEADCHNL_RV_SENSING_INTR_AMPL", 722052, Kind::kNumber, Unit::kMilliVolt, 70, 180,
     1},
    {"MDC_IDC_MSMT_LEADCHNL_RV_PACING_THRESHOLD_AMPLITUDE", 722177, Kind::kNumber, Unit::kVolt, 50,
     125, 2},
    {"MDC_IDC_MSMT_LEADCHNL_RV_PACING_THRESHOLD_PULSEWIDTH", 722241, Kind::kNumber,
     Unit::kMilliSecond, 40, 40, 2},
    {"MDC_IDC_MSMT_LEADCHNL_RV_IMPEDANCE_VALUE", 722433, Kind::kNumber, Unit::kOhm, 350, 900, 0},
    {"MDC_IDC_MSMT_LEADCHNL_LV_PACING_THRESHOLD_AMPLITUDE", 722179, Kind::kNumber, Unit::kVolt, 75,
     150, 2},
    {"MDC_IDC_MSMT_LEADCHNL_LV_PACING_THRESHOLD_PULSEWIDTH", 722243, Kind::kNumber,
     Unit::kMilliSecond, 50, 50, 2},
    {"MDC_IDC_MSMT_LEADCHNL_LV_IMPEDANCE_VALUE", 722435, Kind::kNumber, Unit::kOhm, 500, 1050, 0},
    {"MDC_IDC_MSMT_LEADHVCHNL_IMPEDANCE", 722624, Kind::kNumber, Unit::kOhm, 40, 90, 0},
    {"MDC_IDC_SET_BRADY_MODE", 730752, Kind::kCoded, Unit::kNone, 0, 0, 0, 0, &kModeDdd},
    {"MDC_IDC_SET_BRADY_LOWRATE", 730880, Kind::kNumber, Unit::kBeatsPerMinute, 50, 70, 0},
    {"MDC_IDC_SET_BRADY_MAX_TRACKING_RATE", 731136, Kind::kNumber, Unit::kBeatsPerMinute, 120, 130,
     0},
    {"MDC_IDC_SET_LEADCHNL_RA_PACING_AMPLITUDE", 729984, Kind::kNumber, Unit::kVolt, 200, 250, 2},
    {"MDC_IDC_SET_LEADCHNL_RV_PACING_AMPLITUDE", 729985, Kind::kNumber, Unit::kVolt, 250, 350, 2},
    {"MDC_IDC_SET_LEADCHNL_LV_PACING_AMPLITUDE", 729987, Kind::kNumber, Unit::kVolt, 250, 350, 2},
    {"MDC_IDC_SET_CRT_LVRV_DELAY", 729344, Kind::kNumber, Unit::kMilliSecond, -20, 20, 0},
    {"MDC_IDC_SET_TACHYTHERAPY_VSTAT", 731520, Kind::kCoded, Unit::kNone, 0, 0, 0, 0, &kTachyOn},
    {"MDC_IDC_SET_ZONE_TYPE", 731648, Kind::kCoded, Unit::kNone, 0, 0, 0, 1, &kZoneVf},
    {"MDC_IDC_SET_ZONE_DETECTION_INTERVAL", 731840, Kind::kNumber, Unit::kMilliSecond, 300, 320, 0,
     1},
    {"MDC_IDC_SET_ZONE_TYPE", 731648, Kind::kCoded, Unit::kNone, 0, 0, 0, 2, &kZoneVt},
    {"MDC_IDC_SET_ZONE_DETECTION_INTERVAL", 731840, Kind::kNumber, Unit::kMilliSecond, 360, 400, 0,
     2},
    {"MDC_IDC_STAT_BRADY_RA_PERCENT_PACED", 737520, Kind::kNumber, Unit::kPercent, 10, 90, 0},
    {"MDC_IDC_STAT_BRADY_RV_PERCENT_PACED", 737536, Kind::kNumber, Unit::kPercent, 90, 99, 0},
    {"MDC_IDC_STAT_CRT_PERCENT_PACED", 737808, Kind::kNumber, Unit::kPercent, 930, 995, 1},
    {"MDC_IDC_STAT_AT_BURDEN_PERCENT", 737696, Kind::kNumber, Unit::kPercent, 0, 400, 1},
    {"MDC_IDC_STAT_TACHYTHERAPY_SHOCKS_DELIVERED_RECENT", 737824, Kind::kNumber, Unit::kShocks, 0,
     2, 0},
    {"MDC_IDC_STAT_TACHYTHERAPY_ATP_DELIVERED_RECENT", 737888, Kind::kNumber, Unit::kSequences, 0,
     6, 0},
};
constexpr std::string_view kBenchLeadModels[] = {
    "5176 CapFix Atrial 52cm", "6937M Sprinter Quad DF4", "4498 Attivo Quad LV 88cm"};
constexpr const EnumValue* kBenchLocations[] = {&kLocationRa, &kLocationRv, &kLocationLv};
constexpr std::size_t kBenchLeadObx = 6 * 3;
constexpr std::size_t kBenchEpisodeObx = 6;

void WriteBenchTerm(const BenchTerm& t, std::int64_t now, Random& r, MessageWriter& w) {
  switch (t.kind) {
    case Kind::kNumber:
      w.Number(t.code, t.ref, t.instance, FixedText(r.Int(t.lo, t.hi), t.decimals), t.unit);
      break;
    case Kind::kText:
      w.Text(t.code, t.ref, t.instance,
             t.code == 720898 ? "DTXB2QQ Claron Quad CRT-D MRI"
                              : fmt::format("BWX{:06}S", r.Int(0, 999999)));
      break;
    case Kind::kCoded:
      w.Coded(t.code, t.ref, t.instance,
              t.value != nullptr ? *t.value : kSenders[0].manufacturer_enum);
      break;
    case Kind::kTime:
      w.Time(t.code, t.ref, t.instance, now - (t.code == 720901 ? 900 * kSecondsPerDay : 0));
      break;
  }
}

// OBX number `i` (0-based) of a benchmark message: the leads, then the base terms, then
// episode groups (OBX-4 = 1, 2, …) for as long as needed.
void WriteBenchObx(std::size_t i, std::int64_t now, Random& r, MessageWriter& w) {
  if (i < kBenchLeadObx) {
    const int lead = static_cast<int>(i / 6) + 1;
    switch (i % 6) {
      case 0:
        w.Text(720961, "MDC_IDC_LEAD_MODEL", lead, kBenchLeadModels[i / 6]);
        break;
      case 1:
        w.Text(720962, "MDC_IDC_LEAD_SERIAL", lead, fmt::format("PJN{:07}", r.Int(0, 9999999)));
        break;
      case 2:
        w.Coded(720963, "MDC_IDC_LEAD_MFG", lead, kSenders[0].manufacturer_enum);
        break;
      case 3:
        w.Date(720964, "MDC_IDC_LEAD_IMPLANT_DT", lead, DayOf(now) - 900);
        break;
      case 4:
        w.Coded(720965, "MDC_IDC_LEAD_POLARITY_TYPE", lead, kLeadBipolar);
        break;
      default:
        w.Coded(720966, "MDC_IDC_LEAD_LOCATION", lead, *kBenchLocations[i / 6]);
        break;
    }
    return;
  }
  i -= kBenchLeadObx;
  constexpr std::size_t kBase = sizeof(kBenchBase) / sizeof(kBenchBase[0]);
  if (i < kBase) return WriteBenchTerm(kBenchBase[i], now, r, w);
  i -= kBase;
  const int n = static_cast<int>(i / kBenchEpisodeObx) + 1;
  switch (i % kBenchEpisodeObx) {
    case 0:
      w.Text(739536, "MDC_IDC_EPISODE_ID", n, fmt::format("{}", n));
      break;
    case 1:
      w.Time(739552, "MDC_IDC_EPISODE_DTM", n, now - r.Int(3600, 90 * kSecondsPerDay));
      break;
    case 2:
      w.Coded(739568, "MDC_IDC_EPISODE_TYPE", n, r.Percent(60) ? kEpisAtAf : kEpisVt);
      break;
    case 3:
      w.Number(739712, "MDC_IDC_EPISODE_DURATION", n, FixedText(r.Int(6, 7200), 0), Unit::kSecond);
      break;
    case 4:
      w.Number(739648, "MDC_IDC_EPISODE_VENTRICULAR_INTERVAL_AT_DETECTION", n,
               FixedText(r.Int(250, 400), 0), Unit::kMilliSecond);
      break;
    default:
      w.Coded(739696, "MDC_IDC_EPISODE_THERAPY_RESULT", n, kTherapySuccessful);
      break;
  }
}

base::Status GenerateClinic(const GeneratorOptions& options, const Sink& sink) {
  if (options.patients == 0 || options.patients > kMaxPatients) {
    return Invalid(fmt::format("patients must be 1..{}", kMaxPatients));
  }
  if (options.years == 0 || options.years > kMaxYears) {
    return Invalid(fmt::format("years must be 1..{}", kMaxYears));
  }
  const std::optional<std::int64_t> end = ParseEndDate(options.end_date);
  if (!end) return Invalid("end_date must be a valid YYYYMMDD date in 1980-2199");
  if (!sink) return Invalid("no sink");
  const int years = static_cast<int>(options.years);
  const Window window{YearsBefore(*end, years) + 1, *end, years};
  std::uint64_t sequence = 0;
  for (std::uint32_t i = 0; i < options.patients; ++i) {
    const PatientPlan plan = PlanPatient(options.seed, window, i);
    Simulator simulator(plan, window);
    for (const Session& s : plan.sessions) {
      const SessionValues values = simulator.Next(s);
      base::Status status = sink(ComposeSessionMessage(plan, s, values, options.pdf, ++sequence));
      if (!status.ok()) return status;
    }
  }
  return {};
}

base::Status GenerateBenchMessages(const BenchOptions& options, const Sink& sink) {
  if (options.count == 0 || options.count > kMaxBenchCount) {
    return Invalid(fmt::format("count must be 1..{}", kMaxBenchCount));
  }
  if (options.obx_count > kMaxBenchObx)
    return Invalid(fmt::format("obx_count must be 0..{}", kMaxBenchObx));
  if (options.pdf_kb > kMaxBenchPdfKb)
    return Invalid(fmt::format("pdf_kb must be 0..{}", kMaxBenchPdfKb));
  if (options.pdf_kb > 0 && options.obx_count == 0) return Invalid("pdf_kb needs obx_count >= 1");
  if (!sink) return Invalid("no sink");
  const std::int64_t start = DaysFrom(Civil{2026, 1, 5}) * kSecondsPerDay;
  const std::size_t plain = options.obx_count - (options.pdf_kb > 0 ? 1u : 0u);
  for (std::uint32_t n = 1; n <= options.count; ++n) {
    Random r(Mix(options.seed, n));
    const std::int64_t now = start + static_cast<std::int64_t>(n) * 600 + r.Int(0, 599);
    MessageWriter w(kSenders[0]);
    const std::string control_id = fmt::format("BENCH{:012}", n);
    const std::string serial = fmt::format("BWX{:06}S", n % 1000000);
    w.Segment(fmt::format(
        "MSH|^~\\&|CARELINK|MDT|HEARTBASE|BENCH|{}||ORU^R01^ORU_R01|{}|P|2.6|||AL|NE|||||"
        "IHE_PCD_ORU_R01^IHE PCD^1.3.6.1.4.1.19376.1.6.1.9.1^ISO",
        Hl7Time(now + 120, true), control_id));
    w.Segment(fmt::format(
        "PID|||MODEL:DTXB2QQ Claron Quad CRT-D MRI/SERIAL:{}^^^MDT^U~MRN{:06}^^^HOSP^MR||"
        "Bench^Patient||19500101|M",
        serial, n % 1000000));
    w.Segment(fmt::format("OBR|1||{}|{}|||{}{}F", SessionId(options.seed, now),
                          w.CodedValue(kSessRemoteScheduled), Hl7Time(now, true),
                          std::string(18, '|')));
    for (std::size_t i = 0; i < plain; ++i) WriteBenchObx(i, now, r, w);
    std::size_t pdf_bytes = 0;
    if (options.pdf_kb > 0) {
      const std::string pdf = MakePdf("Benchmark interrogation report",
                                      {"SYNTHETIC BENCHMARK DATA", fmt::format("Message {}", n)},
                                      std::size_t{options.pdf_kb} * 1024);
      pdf_bytes = pdf.size();
      w.Document(0, pdf);
    }
    GeneratedMessage m;
    m.path = fmt::format("bench/m{:06}.hl7", n);
    m.bytes = w.Finish();
    m.facts = fmt::format(
        "{{\"index\":{},\"control_id\":\"{}\",\"device_serial\":\"{}\",\"obx_count\":{},"
        "\"pdf_bytes\":{}}}",
        n, control_id, serial, w.obx_count(), pdf_bytes);
    base::Status status = sink(m);
    if (!status.ok()) return status;
  }
  return {};
}

}  // namespace
}  // namespace internal

base::Status Generate(const GeneratorOptions& options, const Sink& sink) {
  return internal::GenerateClinic(options, sink);
}

base::Status GenerateBench(const BenchOptions& options, const Sink& sink) {
  return internal::GenerateBenchMessages(options, sink);
}

}  // namespace heartbase::demo

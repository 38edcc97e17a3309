// Tests of the demo clinic and benchmark generators, checked by parsing what they write.
#include "demo/generator.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "base/base64.h"
#include "hl7/escape.h"
#include "hl7/message.h"

namespace heartbase::demo {
namespace {

std::vector<GeneratedMessage> Generated(const GeneratorOptions& options) {
  std::vector<GeneratedMessage> out;
  const base::Status status = Generate(options, [&](const GeneratedMessage& m) -> base::Status {
    out.push_back(m);
    return {};
  });
  EXPECT_TRUE(status.ok()) << (status.ok() ? "" : status.error().Describe());
  return out;
}

GeneratorOptions Clinic(std::uint32_t patients, std::uint64_t seed = 1, bool pdf = false) {
  GeneratorOptions o;
  o.patients = patients;
  o.seed = seed;
  o.pdf = pdf;
  return o;
}

// The raw JSON value of `key` in a one-line facts object (strings keep their quotes).
std::string Fact(const std::string& facts, const std::string& key) {
  const std::size_t at = facts.find("\"" + key + "\":");
  if (at == std::string::npos) return "<missing>";
  const std::size_t begin = at + key.size() + 3;
  std::size_t end = 0;
  if (facts[begin] == '"') {
    end = facts.find('"', begin + 1) + 1;
  } else if (facts[begin] == '[') {
    end = facts.find(']', begin) + 1;
  } else {
    end = facts.find_first_of(",}", begin);
  }
  return facts.substr(begin, end - begin);
}

std::string Unquoted(const std::string& v) { return v.size() >= 2 ? v.substr(1, v.size() - 2) : v; }

std::string Decoded(std::string_view raw) {
  std::string out;
  hl7::AppendUnescaped(raw, hl7::Delimiters{}, &out);
  return out;
}

// OBX-5 (decoded) of every OBX with this OBX-3.1 code.
std::vector<std::string> Values(const hl7::Message& m, std::string_view code) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < m.segment_count(); ++i) {
    const hl7::Segment s = m.segment(i);
    if (s.id() == "OBX" && s.Component(3, 1) == code) out.push_back(Decoded(s.Field(5)));
  }
  return out;
}

hl7::Message Parse(const GeneratedMessage& g) {
  auto m = hl7::Message::Parse(g.bytes);
  EXPECT_TRUE(m.ok()) << g.path;
  return m.ok() ? std::move(*m) : hl7::Message();
}

TEST(DemoGenerator, SameOptionsGiveIdenticalBytesAndOtherSeedsDiffer) {
  const auto a = Generated(Clinic(25, 42, true));
  const auto b = Generated(Clinic(25, 42, true));
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].path, b[i].path);
    EXPECT_EQ(a[i].bytes, b[i].bytes);
    EXPECT_EQ(a[i].facts, b[i].facts);
  }
  const auto c = Generated(Clinic(25, 43, true));
  std::string all_a, all_c;
  for (const auto& m : a) all_a += m.bytes;
  for (const auto& m : c) all_c += m.bytes;
  EXPECT_NE(all_a, all_c);
}

TEST(DemoGenerator, PatientHistoryDoesNotDependOnClinicSize) {
  const auto small = Generated(Clinic(5));
  const auto large = Generated(Clinic(12));
  ASSERT_LE(small.size(), large.size());
  for (std::size_t i = 0; i < small.size(); ++i) EXPECT_EQ(small[i].bytes, large[i].bytes);
}

TEST(DemoGenerator, EveryManufacturerDeviceTypeAndSessionTypeAppears) {
  std::set<std::string> manufacturers, types, sessions;
  for (const auto& m : Generated(Clinic(60))) {
    manufacturers.insert(Unquoted(Fact(m.facts, "manufacturer")));
    types.insert(Unquoted(Fact(m.facts, "device_type")));
    sessions.insert(Unquoted(Fact(m.facts, "session_type")));
  }
  EXPECT_EQ(manufacturers, (std::set<std::string>{"abbott", "biotronik", "boston_scientific",
                                                  "medtronic", "microport"}));
  EXPECT_EQ(types, (std::set<std::string>{"crt_d", "crt_p", "icd", "loop_recorder", "pacemaker"}));
  EXPECT_EQ(sessions, (std::set<std::string>{"Implant", "InClinic", "RemoteDeviceInitiated",
                                             "RemoteScheduled"}));
}

// A wrapped base64 line: base64 characters, then an escaped CR or (last line) the rest of the OBX.
bool IsBase64Line(std::string_view line) {
  for (std::string_view end : {"\\X0D\\", "||||||F"}) {
    if (line.ends_with(end)) line.remove_suffix(end.size());
  }
  if (line.empty()) return false;
  for (char c : line) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '/' && c != '=') {
      return false;
    }
  }
  return true;
}

TEST(DemoGenerator, EveryLineStartsWithASegmentIdAndMessagesParse) {
  int continuation_lines = 0;
  for (const auto& m : Generated(Clinic(30, 5, true))) {
    ASSERT_EQ(m.bytes.substr(0, 9), "MSH|^~\\&|") << m.path;
    std::size_t begin = 0;
    while (begin < m.bytes.size()) {
      std::size_t end = m.bytes.find_first_of("\r\n", begin);
      if (end == std::string::npos) end = m.bytes.size();
      const std::string_view line(m.bytes.data() + begin, end - begin);
      begin = end + 1;
      if (line.empty()) continue;
      const bool segment = line.size() >= 4 && std::isupper(static_cast<unsigned char>(line[0])) &&
                           std::isalnum(static_cast<unsigned char>(line[1])) &&
                           std::isalnum(static_cast<unsigned char>(line[2])) && line[3] == '|';
      if (!segment) {
        EXPECT_TRUE(m.path.starts_with("biotronik/") && IsBase64Line(line))
            << m.path << ": " << line;
        ++continuation_lines;
      }
    }
    const hl7::Message msg = Parse(m);
    EXPECT_TRUE(msg.Find("PID").has_value());
    EXPECT_TRUE(msg.Find("OBR").has_value());
  }
  EXPECT_GT(continuation_lines, 0);  // the wrapping sender wrapped something
}

TEST(DemoGenerator, ControlIdsAndPathsAreUnique) {
  std::set<std::string> ids, paths;
  const auto messages = Generated(Clinic(80));
  for (const auto& m : messages) {
    const hl7::Message msg = Parse(m);
    const std::string id(msg.segment(0).Field(10));
    EXPECT_EQ(Unquoted(Fact(m.facts, "control_id")), id);
    EXPECT_TRUE(ids.insert(id).second) << id;
    EXPECT_TRUE(paths.insert(m.path).second) << m.path;
  }
  EXPECT_EQ(ids.size(), messages.size());
}

TEST(DemoGenerator, FactsAgreeWithTheMessageText) {
  for (const auto& m : Generated(Clinic(40, 9))) {
    const hl7::Message msg = Parse(m);
    const auto one = [&](std::string_view code) {
      const auto v = Values(msg, code);
      return v.empty() ? std::string("null") : v.front();
    };
    EXPECT_EQ(Fact(m.facts, "battery_voltage"), one("721344")) << m.path;
    EXPECT_EQ(Fact(m.facts, "rv_impedance"), one("722433")) << m.path;
    EXPECT_EQ(Fact(m.facts, "hv_impedance"), one("722624")) << m.path;
    EXPECT_EQ(Fact(m.facts, "at_burden"), one("737696")) << m.path;
    EXPECT_EQ(Fact(m.facts, "shocks"), one("737824")) << m.path;
    EXPECT_EQ(Fact(m.facts, "atp"), one("737888")) << m.path;
    EXPECT_EQ(Unquoted(Fact(m.facts, "device_serial")), one("720899")) << m.path;
    EXPECT_EQ(Unquoted(Fact(m.facts, "device_model")), one("720898")) << m.path;
    EXPECT_EQ(Fact(m.facts, "episodes"), std::to_string(Values(msg, "739536").size())) << m.path;
    EXPECT_EQ(Unquoted(Fact(m.facts, "session_id")), std::string(msg.Find("OBR")->Field(3)));
    std::string sess = one("721025");  // 20250312101500[+0000] vs 2025-03-12T10:15:00[+00:00]
    const std::string iso = Unquoted(Fact(m.facts, "session_time"));
    EXPECT_EQ(iso.substr(0, 4) + iso.substr(5, 2) + iso.substr(8, 2) + iso.substr(11, 2) +
                  iso.substr(14, 2) + iso.substr(17, 2) + (iso.size() > 19 ? "+0000" : ""),
              sess);
    int obx = 0;
    for (std::size_t i = 0; i < msg.segment_count(); ++i) obx += msg.segment(i).id() == "OBX";
    EXPECT_EQ(Fact(m.facts, "obx_count"), std::to_string(obx));
  }
}

TEST(DemoGenerator, LongitudinalStoriesArePresent) {
  bool rrt = false, bos = false, fracture = false, check_lead = false, af = false, shock = false;
  std::map<std::string, std::set<std::string>> serials;  // patient → device serials
  for (const auto& m : Generated(Clinic(60))) {
    const hl7::Message msg = Parse(m);
    for (const std::string& v : Values(msg, "721280")) {
      rrt |= v.starts_with("754115^") || v.starts_with("RRT^");
      bos |= v.starts_with("754113^") || v.starts_with("BOS^");
    }
    for (const std::string& v : Values(msg, "722433")) fracture |= std::stoi(v) > 2000;
    check_lead |= !Values(msg, "721985").empty();
    for (const std::string& v : Values(msg, "737696")) af |= std::stod(v) >= 5.0;
    for (const std::string& v : Values(msg, "737824")) shock |= std::stoi(v) > 0;
    serials[Fact(m.facts, "patient")].insert(Fact(m.facts, "device_serial"));
  }
  EXPECT_TRUE(rrt);
  EXPECT_TRUE(bos);
  EXPECT_TRUE(fracture);
  EXPECT_TRUE(check_lead);
  EXPECT_TRUE(af);
  EXPECT_TRUE(shock);
  int replaced = 0;
  for (const auto& [patient, s] : serials) replaced += s.size() == 2;
  EXPECT_GT(replaced, 0);
}

TEST(DemoGenerator, SenderQuirksAllAppear) {
  std::map<std::string, int> seen;
  for (const auto& m : Generated(Clinic(40))) {
    const std::string& b = m.bytes;
    const auto has = [&b](std::string_view s) { return b.find(s) != std::string::npos; };
    seen["cr"] += has("\r") && !has("\n");
    seen["lf"] += has("\n") && !has("\r");
    seen["crlf"] += has("\r\n") && !has("\r\n\r\n");
    seen["crlf_blank"] += has("\r\n\r\n");
    seen["oru_short"] += has("|ORU^R01|");
    seen["oru_long"] += has("|ORU^R01^ORU_R01|");
    seen["v25"] += has("|P|2.5");
    seen["profile"] += has("|AL|NE|") && has("^1.3.6.1.4.1.19376.1.6.1.9.1^ISO");
    seen["upper_pid"] += has("PID|||MODEL:") && has("/SERIAL:");
    seen["lower_pid"] += has("PID|||model:") && has("/serial:");
    const std::string_view dob = Parse(m).Find("PID")->Field(7);
    seen["dob_00"] += dob.size() == 8 && dob.ends_with("0000");
    seen["pg_names"] += has("^MDC_IDC_PG_TYPE^");
    seen["mdc_idc"] += has("^MDC_IDC|");
    seen["tx"] += has("|TX|");
    seen["mnemonic_only"] += has("RemoteScheduled^RemoteScheduled");
    seen["instance_1"] += has("^MDC_IDC_SESS_DTM^MDC|1|");
    seen["utc"] += has("+0000|");
    seen["units"] += has("|ohm|") || has("|bpm|");
    seen["escaped"] += has("\\S\\") || has("\\T\\") || has("\\F\\") || has("\\R\\");
    seen["utf8"] += has("\xC3");
  }
  for (const auto& [quirk, count] : seen) EXPECT_GT(count, 0) << quirk;
}

// The base64 data of every ED OBX, decoded, with its OBX-4.
std::vector<std::pair<std::string, std::string>> Documents(const hl7::Message& msg) {
  std::vector<std::pair<std::string, std::string>> out;
  for (std::size_t i = 0; i < msg.segment_count(); ++i) {
    const hl7::Segment s = msg.segment(i);
    if (s.id() != "OBX" || s.Field(2) != "ED") continue;
    EXPECT_EQ(s.Field(3), "18750-0^Cardiac Electrophysiology Report^LN");
    const std::string_view c2 = s.Component(5, 2), c3 = s.Component(5, 3);
    EXPECT_TRUE(c2 == "PDF" || c3 == "pdf");
    EXPECT_EQ(s.Component(5, 4), "Base64");
    std::string pdf;
    EXPECT_TRUE(base::AppendBase64Decoded(Decoded(s.Component(5, 5)), &pdf).ok());
    out.emplace_back(std::string(s.Field(4)), pdf);
  }
  return out;
}

TEST(DemoGenerator, PdfAttachmentsDecodeToPdfInBothLayouts) {
  int reports = 0, egms = 0, tf2 = 0, hl7_layout = 0;
  for (const auto& m : Generated(Clinic(40, 3, true))) {
    const hl7::Message msg = Parse(m);
    const auto docs = Documents(msg);
    for (const auto& [instance, pdf] : docs) {
      EXPECT_EQ(pdf.substr(0, 5), "%PDF-") << m.path;
      (instance.empty() ? reports : egms) += 1;
      if (!instance.empty()) {
        EXPECT_GE(Values(msg, "739536").size(), std::stoul(instance));
      }
    }
    EXPECT_EQ(Fact(m.facts, "pdf"), docs.empty() ? "false" : "true");
    tf2 += m.bytes.find("|Application^PDF^^Base64^") != std::string::npos;
    hl7_layout += m.bytes.find("|^application^pdf^Base64^") != std::string::npos;
  }
  EXPECT_GT(reports, 0);
  EXPECT_GT(egms, 0);
  EXPECT_GT(tf2, 0);
  EXPECT_GT(hl7_layout, 0);
  for (const auto& m : Generated(Clinic(10))) EXPECT_EQ(m.bytes.find("|ED|"), std::string::npos);
}

TEST(DemoGenerator, RejectsInvalidOptions) {
  const Sink sink = [](const GeneratedMessage&) -> base::Status { return {}; };
  const auto rejected = [&](const GeneratorOptions& o) {
    const base::Status s = Generate(o, sink);
    return !s.ok() && s.error().code == base::ErrorCode::kInvalidArgument;
  };
  GeneratorOptions o;
  EXPECT_FALSE(rejected(o));
  o.patients = 0;
  EXPECT_TRUE(rejected(o));
  o.patients = 100001;
  EXPECT_TRUE(rejected(o));
  o = {};
  o.years = 0;
  EXPECT_TRUE(rejected(o));
  o.years = 31;
  EXPECT_TRUE(rejected(o));
  for (const char* bad :
       {"", "2026111", "2026-11-01", "20260230", "20261301", "19000101", "2026110a"}) {
    o = {};
    o.end_date = bad;
    EXPECT_TRUE(rejected(o)) << bad;
  }
  const auto bench_rejected = [&](const BenchOptions& b) {
    const base::Status s = GenerateBench(b, sink);
    return !s.ok() && s.error().code == base::ErrorCode::kInvalidArgument;
  };
  EXPECT_TRUE(bench_rejected(BenchOptions{.count = 0}));
  EXPECT_TRUE(bench_rejected(BenchOptions{.count = 1, .obx_count = 50001}));
  EXPECT_TRUE(bench_rejected(BenchOptions{.count = 1, .obx_count = 0, .pdf_kb = 1}));
  EXPECT_TRUE(bench_rejected(BenchOptions{.count = 1, .obx_count = 5, .pdf_kb = 9000}));
}

TEST(DemoGenerator, StopsAtTheFirstSinkError) {
  int calls = 0;
  const base::Status s = Generate(Clinic(10), [&](const GeneratedMessage&) -> base::Status {
    if (++calls == 3) return base::MakeError(base::ErrorCode::kIo, "disk full");
    return {};
  });
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, base::ErrorCode::kIo);
  EXPECT_EQ(calls, 3);
}

int CountObx(const std::string& bytes) {
  int n = 0;
  for (std::size_t at = bytes.find("OBX|"); at != std::string::npos;
       at = bytes.find("OBX|", at + 1)) {
    n += at == 0 || bytes[at - 1] == '\r';
  }
  return n;
}

TEST(DemoBench, MessagesHaveExactlyTheRequestedObxCount) {
  for (std::uint32_t obx : {0u, 1u, 7u, 60u, 300u, 1234u}) {
    std::vector<GeneratedMessage> out;
    const base::Status s = GenerateBench(BenchOptions{.count = 3, .obx_count = obx, .seed = 11},
                                         [&](const GeneratedMessage& m) {
                                           out.push_back(m);
                                           return base::Status();
                                         });
    ASSERT_TRUE(s.ok());
    ASSERT_EQ(out.size(), 3u);
    for (const auto& m : out) {
      EXPECT_EQ(CountObx(m.bytes), static_cast<int>(obx));
      EXPECT_EQ(Fact(m.facts, "obx_count"), std::to_string(obx));
      EXPECT_EQ(Parse(m).segment_count(), obx + 3);
    }
  }
}

TEST(DemoBench, PdfOfAboutTheRequestedSizeIsTheLastObx) {
  std::vector<GeneratedMessage> out;
  ASSERT_TRUE(GenerateBench(BenchOptions{.count = 2, .obx_count = 300, .pdf_kb = 150},
                            [&](const GeneratedMessage& m) {
                              out.push_back(m);
                              return base::Status();
                            })
                  .ok());
  for (const auto& m : out) {
    EXPECT_GE(m.bytes.size(), 150u * 1024);
    EXPECT_EQ(CountObx(m.bytes), 300);
    const auto docs = Documents(Parse(m));
    ASSERT_EQ(docs.size(), 1u);
    EXPECT_EQ(docs[0].second.substr(0, 5), "%PDF-");
    EXPECT_NEAR(static_cast<double>(docs[0].second.size()), 150.0 * 1024, 64);
  }
  EXPECT_NE(out[0].bytes, out[1].bytes);
}

TEST(DemoBench, IsDeterministicForASeed) {
  const auto run = [](std::uint64_t seed) {
    std::string all;
    EXPECT_TRUE(GenerateBench(BenchOptions{.count = 5, .obx_count = 80, .pdf_kb = 2, .seed = seed},
                              [&](const GeneratedMessage& m) {
                                all += m.path + m.bytes + m.facts;
                                return base::Status();
                              })
                    .ok());
    return all;
  };
  EXPECT_EQ(run(3), run(3));
  EXPECT_NE(run(3), run(4));
}

}  // namespace
}  // namespace heartbase::demo

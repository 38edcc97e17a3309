// Deterministic synthetic IHE IDCO (PCD-09 ORU^R01) messages: a demo clinic and parser benchmarks.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "base/result.h"

namespace heartbase::demo {

enum class Manufacturer : std::uint8_t {
  kMedtronic,
  kBostonScientific,
  kAbbott,
  kBiotronik,
  kMicroPort
};
enum class DeviceType : std::uint8_t { kPacemaker, kIcd, kCrtD, kCrtP, kLoopRecorder };

struct GeneratorOptions {
  std::uint32_t patients = 50;  // 1..100000
  std::uint32_t years = 3;      // follow-up history length (1..30), ending at end_date
  std::uint64_t seed = 1;
  bool pdf = false;  // attach a small generated PDF report (ED, base64) to some messages,
                     // and EGM strip PDFs (OBX-4 = episode instance) to some episodes
  std::string end_date = "20261101";  // YYYYMMDD; fixed so output does not depend on the clock
};

struct GeneratedMessage {
  // Relative path with '/' separators, e.g. "medtronic/p0007/20250312T101500-remote.hl7"; never
  // contains patient names. Unique within one run.
  std::string path;
  std::string bytes;  // the whole HL7 message (one message per file)
  // One JSON object on one line (no trailing newline) stating what the message encodes. Keys:
  // patient, mrn, manufacturer, device_type, device_serial, device_model, session_type,
  // session_time (ISO 8601 as written, with "+00:00" when the message carries an offset),
  // session_id (OBR-3), control_id (MSH-10), battery_status, battery_voltage,
  // battery_longevity_months, rv_impedance, rv_lead_status, rv_threshold, hv_impedance,
  // at_burden, episodes (count of 739536 groups), shocks (737824), atp (737888), obx_count, pdf
  // (any ED OBX), egm_pdfs, birth_date, story (array of story names of the patient). Numbers
  // are copied verbatim from the text written into the message; null where the message does
  // not carry the value.
  std::string facts;
};

// Receives each message; a non-ok Status stops generation and is returned by the generator.
using Sink = std::function<base::Status(const GeneratedMessage&)>;

// Generates every message of every patient in a deterministic order: patient 0's sessions in
// time order, then patient 1's, … Same options give byte-identical output on every machine (own
// PRNG, integer arithmetic only), and the messages of patient k do not depend on `patients`.
// Fails with kInvalidArgument (before calling the sink) for patients == 0 or > 100000,
// years == 0 or > 30, or an end_date that is not a valid YYYYMMDD date in 1980–2199.
// Otherwise returns the first error the sink returns. Thread-safe (no shared state).
base::Status Generate(const GeneratorOptions& options, const Sink& sink);

// Fixed-shape messages for the parser benchmark: each has exactly `obx_count` OBX segments
// (real term codes with realistic values and units: three lead groups (OBX-4 1–3), device,
// session, measurement, setting, zone and statistic terms, then episode groups with OBX-4 = 1,
// 2, … repeated as needed; a smaller count cuts this sequence short) and, if pdf_kb > 0, one ED OBX
// (counted within obx_count) carrying a base64 PDF of about pdf_kb KiB. Paths are
// "bench/m000001.hl7"…; facts carry index, control_id, device_serial, obx_count and pdf_bytes.
struct BenchOptions {
  std::uint32_t count = 1000;     // 1..10000000
  std::uint32_t obx_count = 300;  // 0..50000 (at least 1 when pdf_kb > 0)
  std::uint32_t pdf_kb = 0;       // 0..8192
  std::uint64_t seed = 7;
};
// Deterministic for a seed. Fails with kInvalidArgument for options outside the ranges above,
// otherwise returns the first error the sink returns.
base::Status GenerateBench(const BenchOptions& options, const Sink& sink);

}  // namespace heartbase::demo

// The clinical model of one interrogation (one session with an implanted cardiac device), as
// plain values. Produced by idco from IHE IDCO messages; stored by store; read by rules and api.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/time.h"

namespace heartbase::domain {

enum class DeviceType : std::uint8_t { kUnknown, kPacemaker, kIcd, kCrtD, kCrtP, kMonitor, kOther };
enum class SessionType : std::uint8_t {
  kUnknown,
  kImplant,
  kInClinic,
  kRemote,
  kRemoteScheduled,
  kRemoteDeviceInitiated,  // an alert transmission
  kRemotePatientInitiated,
  kOther,
};
// OBR-25 / OBX-11 result status (HL7 table 0085, the values IDCO uses).
enum class ResultStatus : std::uint8_t { kUnknown, kFinal, kPreliminary, kCorrected, kStored };

// Where an observation belongs. Derived from the term's family (its reference-id prefix).
enum class Category : std::uint8_t {
  kDevice,          // MDC_IDC_DEV_* (legacy MDC_IDC_PG_*)
  kLead,            // MDC_IDC_LEAD_*, grouped by OBX-4
  kSession,         // MDC_IDC_SESS_*
  kMeasurement,     // MDC_IDC_MSMT_*
  kSetting,         // MDC_IDC_SET_* except zones
  kZone,            // MDC_IDC_SET_ZONE_*, grouped by OBX-4
  kStatistic,       // MDC_IDC_STAT_* except episode statistics
  kEpisodeCounter,  // MDC_IDC_STAT_EPISODE_*, grouped by OBX-4
  kEpisode,         // MDC_IDC_EPISODE_*, grouped by OBX-4
  kOther,           // outside the IDC families (kept, never dropped)
};

std::string_view ToString(DeviceType t);
std::string_view ToString(SessionType t);
std::string_view ToString(ResultStatus s);
std::string_view ToString(Category c);

// A coded value (CWE/CNE): the raw triple plus what the dictionary knows.
struct Coded {
  std::string code;             // OBX-5.1 as sent: a numeric enumeration code or a bare mnemonic
  std::string text;             // OBX-5.2 as sent, e.g. MDC_IDC_ENUM_SESS_TYPE_RemoteScheduled
  std::string system;           // OBX-5.3, e.g. MDC
  std::string mnemonic;         // normalised mnemonic, e.g. RemoteScheduled (empty if unknown)
  std::string display;          // OBX-5.9 original text, or the dictionary's display
  std::uint32_t enum_code = 0;  // numeric enumeration code when known, else 0
};

struct StructuredNumeric {  // SN: comparator num1 separator num2
  std::string comparator;   // ">", "<", ">=", "<=", "=", "<>" or empty
  std::optional<double> num1;
  std::string separator;  // "-", "+", "/", ":" or empty
  std::optional<double> num2;
};

struct Value {
  enum class Kind : std::uint8_t {
    kEmpty,
    kNumber,
    kText,
    kCoded,
    kDateTime,
    kStructured,
    kUnparsed
  };
  Kind kind = Kind::kEmpty;
  double number = 0;             // kNumber
  std::string text;              // kText (unescaped), and the unescaped raw value of every kind
  Coded coded;                   // kCoded
  base::DateTime date_time;      // kDateTime
  StructuredNumeric structured;  // kStructured
};

struct Observation {
  std::uint32_t code = 0;    // IEEE 11073-10103 term code (0 if the sender gave none we know)
  std::string reference_id;  // canonical reference id, e.g. MDC_IDC_MSMT_BATTERY_VOLTAGE
  std::string raw_code;      // OBX-3 as sent ("720897^MDC_IDC_PG_TYPE^MDC_IDC"), unescaped
  bool known_term = false;   // the dictionary knows the code
  Category category = Category::kOther;
  std::uint32_t instance = 0;  // OBX-4 as a number, 0 when empty
  std::string sub_id;          // OBX-4 as sent
  std::string value_type;      // OBX-2 as sent (NM, ST, TX, CWE, DTM, SN, ED, RP…)
  Value value;
  std::string unit;                           // normalised UCUM, e.g. Ohm, {beats}/min
  std::string raw_unit;                       // OBX-6 as sent
  std::vector<std::string> abnormal_flags;    // OBX-8 (NI, NAV, OFF, >, < …)
  std::string result_status;                  // OBX-11
  std::optional<base::DateTime> observed_at;  // OBX-14
  std::uint32_t set_id = 0;                   // OBX-1
  std::uint32_t segment = 0;  // 1-based segment index in the message, for error reports
};

// An ED or RP observation: the manufacturer's PDF report or an episode's EGM.
struct Attachment {
  std::uint32_t instance = 0;      // OBX-4; non-zero links it to the episode with that instance
  std::string media_type;          // "application/pdf" …
  std::string data;                // decoded bytes (ED), empty for RP
  std::string reference;           // RP pointer
  std::string source_application;  // ED component naming the producing application, if any
  std::uint32_t segment = 0;
};

// Observations sharing a term family and an OBX-4 instance: one lead, zone, episode, counter.
struct Group {
  std::uint32_t instance = 0;
  std::vector<Observation> observations;
};

struct PatientIdentity {
  std::string device_model;  // from PID-3 model:/serial: (or DEV_MODEL)
  std::string device_serial;
  std::string assigning_authority;  // PID-3.4 of the device identifier (manufacturer mnemonic)
  std::string device_identifier;    // PID-3.1 as sent when not in model:/serial: form
  struct Identifier {
    std::string id, authority, type;  // CX.1, CX.4, CX.5
  };
  std::vector<Identifier> other_identifiers;  // MRN, SS, …
  std::string family_name, given_name, middle_name;
  std::optional<base::DateTime> birth_date;
  std::string sex;  // PID-8
};

struct Device {
  DeviceType type = DeviceType::kUnknown;
  std::string model, serial;
  std::string manufacturer;  // normalised mnemonic: MDT, BSX, SJM, BIO, MCP … or as sent
  std::optional<base::DateTime> implant_date;
};

struct Lead {
  std::uint32_t instance = 0;
  std::string model, serial, manufacturer, location;  // location mnemonic: RA, RV, LV …
  std::optional<base::DateTime> implant_date;
};

struct Episode {
  std::uint32_t instance = 0;
  std::string id;
  std::optional<base::DateTime> onset;
  std::string type;  // mnemonic, e.g. Epis_VT
  std::optional<double> duration_s;
};

struct Interrogation {
  // Message identity.
  std::string sending_application, sending_facility;  // MSH-3, MSH-4 (namespace id)
  std::string control_id;                             // MSH-10
  std::string version;                                // MSH-12
  std::optional<base::DateTime> message_time;         // MSH-7

  PatientIdentity patient;

  // Session.
  std::string session_id;  // OBR-3 filler order number
  SessionType session_type = SessionType::kUnknown;
  std::string session_type_raw;                  // OBR-4 or 721026 as sent
  std::optional<base::DateTime> session_time;    // 721025, else OBR-7
  ResultStatus status = ResultStatus::kUnknown;  // OBR-25

  Device device;
  std::vector<Lead> leads;
  std::vector<Episode> episodes;

  // Every observation, grouped as in the message; nothing is dropped.
  std::vector<Observation> device_observations;
  std::vector<Observation> session_observations;
  std::vector<Observation> measurements;
  std::vector<Observation> settings;
  std::vector<Observation> statistics;
  std::vector<Observation> other_observations;
  std::vector<Group> lead_groups;
  std::vector<Group> zones;
  std::vector<Group> episode_counters;
  std::vector<Group> episode_groups;
  std::vector<Attachment> attachments;
  std::vector<std::string> notes;  // NTE-3, unescaped

  // Things a reviewer should know that did not stop the mapping (no patient data in them).
  std::vector<std::string> warnings;
};

}  // namespace heartbase::domain

// The fixed data of the demo clinic: senders with their quirks (idco-hl7.md §8), invented device
// and lead models, IDC enumeration values (idco-hl7.md §6) and obviously fake names.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "demo/generator.h"

namespace heartbase::demo::internal {

// The value added to an RA term code for a chamber (RA = +0, RV = +1, LV = +3).
enum class Chamber : std::uint8_t { kRa = 0, kRv = 1, kLv = 3 };

// An IDC enumeration value. code == 0: no numeric code has been observed for it (idco-hl7.md §6),
// so it is written with an empty OBX-5.1 and its `<enumerator>_<mnemonic>` text.
struct EnumValue {
  std::uint32_t code;
  std::string_view enumerator;
  std::string_view mnemonic;
  std::string_view display;
};

inline constexpr EnumValue kSessImplant{754049, "MDC_IDC_ENUM_SESS_TYPE", "Implant", "Implant"};
inline constexpr EnumValue kSessInClinic{754050, "MDC_IDC_ENUM_SESS_TYPE", "InClinic", "In Clinic"};
inline constexpr EnumValue kSessDeviceInitiated{754052, "MDC_IDC_ENUM_SESS_TYPE",
                                                "RemoteDeviceInitiated", "Remote Device Initiated"};
inline constexpr EnumValue kSessRemoteScheduled{754053, "MDC_IDC_ENUM_SESS_TYPE", "RemoteScheduled",
                                                "RemoteScheduled"};
inline constexpr EnumValue kBatteryStatusBos{754113, "MDC_IDC_ENUM_BATTERY_STATUS", "BOS",
                                             "Beginning of Service"};
inline constexpr EnumValue kBatteryStatusMos{754116, "MDC_IDC_ENUM_BATTERY_STATUS", "MOS",
                                             "Middle of Service"};
inline constexpr EnumValue kBatteryStatusRrt{754115, "MDC_IDC_ENUM_BATTERY_STATUS", "RRT",
                                             "Recommended Replacement Time"};
inline constexpr EnumValue kCheckLead{754241, "MDC_IDC_ENUM_CHANNEL_STATUS", "CheckLead",
                                      "Check Lead"};
inline constexpr EnumValue kPolarityBi{754306, "MDC_IDC_ENUM_POLARITY", "BI", "Bipolar"};
inline constexpr EnumValue kLeadBipolar{753794, "MDC_IDC_ENUM_LEAD_POLARITY_TYPE", "BI", "Bipolar"};
inline constexpr EnumValue kLocationRa{0, "MDC_IDC_ENUM_LEAD_LOCATION_CHAMBER", "RA",
                                       "Right Atrium"};
inline constexpr EnumValue kLocationRv{753860, "MDC_IDC_ENUM_LEAD_LOCATION_CHAMBER", "RV",
                                       "Right Ventricle"};
inline constexpr EnumValue kLocationLv{0, "MDC_IDC_ENUM_LEAD_LOCATION_CHAMBER", "LV",
                                       "Left Ventricle"};
inline constexpr EnumValue kMethodDevice{754371, "MDC_IDC_ENUM_MEASUREMENT_METHOD",
                                         "DeviceAutomatic", "Device Automatic"};
inline constexpr EnumValue kMethodProgrammer{754370, "MDC_IDC_ENUM_MEASUREMENT_METHOD",
                                             "ProgrammerAutomatic", "Programmer Automatic"};
inline constexpr EnumValue kModeDdd{0, "MDC_IDC_ENUM_BRADY_MODE", "DDD", "DDD"};
inline constexpr EnumValue kModeDddr{0, "MDC_IDC_ENUM_BRADY_MODE", "DDDR", "DDDR"};
inline constexpr EnumValue kModeVvi{754773, "MDC_IDC_ENUM_BRADY_MODE", "VVI", "VVI"};
inline constexpr EnumValue kModeVvir{0, "MDC_IDC_ENUM_BRADY_MODE", "VVIR", "VVIR"};
inline constexpr EnumValue kTachyOn{754817, "MDC_IDC_ENUM_TACHYTHERAPY_STATUS", "On", "On"};
inline constexpr EnumValue kZoneVf{754945, "MDC_IDC_ENUM_ZONE_TYPE", "Zone_VF", "VF"};
inline constexpr EnumValue kZoneVt{754946, "MDC_IDC_ENUM_ZONE_TYPE", "Zone_VT", "VT"};
inline constexpr EnumValue kZoneActive{755009, "MDC_IDC_ENUM_ZONE_STATUS", "Active", "Active"};
inline constexpr EnumValue kAtpBurst{755073, "MDC_IDC_ENUM_ATP_TYPE", "Burst", "Burst"};
inline constexpr EnumValue kEpisVt{754882, "MDC_IDC_ENUM_EPISODE_TYPE", "Epis_VT", "VT episode"};
inline constexpr EnumValue kEpisVf{0, "MDC_IDC_ENUM_EPISODE_TYPE", "Epis_VF", "VF episode"};
inline constexpr EnumValue kEpisAtAf{0, "MDC_IDC_ENUM_EPISODE_TYPE", "Epis_AT_AF", "AT/AF episode"};
inline constexpr EnumValue kTherapySuccessful{755137, "MDC_IDC_ENUM_EPISODE_THERAPY_RESULT",
                                              "Successful", "Successful"};
inline constexpr std::array<EnumValue, 5> kDeviceTypeEnums = {{
    {753665, "MDC_IDC_ENUM_DEV_TYPE", "IPG", "Pacemaker"},
    {753666, "MDC_IDC_ENUM_DEV_TYPE", "ICD", "Defibrillator"},
    {753667, "MDC_IDC_ENUM_DEV_TYPE", "CRT_D", "CRT Defibrillator"},
    {753668, "MDC_IDC_ENUM_DEV_TYPE", "CRT_P", "CRT Pacemaker"},
    {753669, "MDC_IDC_ENUM_DEV_TYPE", "Monitor", "Implantable Diagnostic Monitor"},
}};

inline constexpr std::array<std::string_view, 5> kDeviceTypeKeys = {"pacemaker", "icd", "crt_d",
                                                                    "crt_p", "loop_recorder"};

inline bool HasTachyTherapy(DeviceType t) {
  return t == DeviceType::kIcd || t == DeviceType::kCrtD;
}
inline bool IsCrt(DeviceType t) { return t == DeviceType::kCrtD || t == DeviceType::kCrtP; }

enum class Terminator : std::uint8_t { kCr, kLf, kCrLf, kCrLfBlankLine };
enum class EdLayout : std::uint8_t {
  kTf2,  // Application^PDF^^Base64^data (as IHE PCD TF-2 writes it)
  kHl7,  // ^application^pdf^Base64^data (the HL7 ED data type)
};
enum class Pv1 : std::uint8_t { kNever, kAlways, kInClinic };

struct DeviceModel {
  std::string_view name;  // written to 720898 and PID-3 verbatim
  DeviceType type;
  bool dual_chamber;  // ICDs: has an RA lead
};

struct LeadModels {
  std::string_view atrial, ventricular, defibrillation, left_ventricular;
};

struct Sender {
  std::string_view key;            // paths and facts
  std::string_view application;    // MSH-3
  std::string_view facility;       // MSH-4, PID-3.4
  EnumValue manufacturer_enum;     // 720900, 720963
  std::string_view serial_prefix;  // device serials: prefix + digits (+ suffix)
  std::string_view lead_serial_prefix;
  std::span<const DeviceModel> models;
  LeadModels leads;
  int serial_digits;
  Manufacturer manufacturer;
  // Quirks (idco-hl7.md §8), fixed per sender so that each one appears in every clinic.
  std::string_view version;        // MSH-12
  std::string_view charset;        // MSH-18
  std::string_view coding_system;  // OBX-3.3
  Terminator terminator;
  EdLayout ed_layout;
  Pv1 pv1;
  bool final_terminator;     // the last segment ends with the terminator
  bool msh9_structure;       // ORU^R01^ORU_R01 rather than ORU^R01
  bool accept_ack_fields;    // MSH-15/16 AL/NE
  bool profile;              // MSH-21 IHE PCD-09 profile
  bool upper_case_pid;       // MODEL:…/SERIAL:…
  bool utc_offset;           // timestamps end in +0000
  bool legacy_pg_names;      // MDC_IDC_PG_* for device terms
  bool tx_for_st;            // TX instead of ST
  bool mnemonic_only_cwe;    // RemoteScheduled^RemoteScheduled, BI^Bipolar
  bool instance_on_single;   // OBX-4 = 1 on single-instance terms
  bool unit_variants;        // ohm, bpm, mv
  bool vendor_session_code;  // OBR-4 components 4–6 carry the vendor's own code
  bool unknown_birth_parts;  // some birth dates as YYYY0000
  bool wrapped_base64;       // ED data in 76-char lines ending in \X0D\ + raw LF
};

inline constexpr DeviceModel kMedtronicModels[] = {
    {"W9DR01 Solara DR MRI", DeviceType::kPacemaker, true},
    {"X2DR01 Aurion DR MRI", DeviceType::kPacemaker, true},
    {"DVXB1D4 Vireo VR MRI", DeviceType::kIcd, false},
    {"DDXB2D1 Vireo DR MRI", DeviceType::kIcd, true},
    {"DTXB2QQ Claron Quad CRT-D MRI", DeviceType::kCrtD, true},
    {"DTXC2Q1 Claron XT CRT-D MRI", DeviceType::kCrtD, true},
    {"W5TR02 Percel Quad CRT-P MRI", DeviceType::kCrtP, true},
    {"LNQ31 Linqo ICM", DeviceType::kLoopRecorder, false},
};
inline constexpr DeviceModel kBostonModels[] = {
    {"L331 Accolon DR", DeviceType::kPacemaker, true},
    {"L321 Accolon EL DR", DeviceType::kPacemaker, true},
    {"D433 Momentus VR", DeviceType::kIcd, false},
    {"D434 Momentus DR", DeviceType::kIcd, true},
    {"G447 Resolute X4 CRT-D", DeviceType::kCrtD, true},
    {"U226 Visionary X4 CRT-P", DeviceType::kCrtP, true},
    {"M301 Lumina ICM", DeviceType::kLoopRecorder, false},
};
inline constexpr DeviceModel kAbbottModels[] = {
    {"PM2272 Assuria DR", DeviceType::kPacemaker, true},
    {"PM2290 Assuria DR MRI", DeviceType::kPacemaker, true},
    {"CD1377-36C Fortivo VR", DeviceType::kIcd, false},
    {"CD2377-36C Fortivo DR", DeviceType::kIcd, true},
    {"CD3371-40QC Gallant Quadra CRT-D", DeviceType::kCrtD, true},
    {"PM3562 Quadrella CRT-P", DeviceType::kCrtP, true},
    {"DM3500 Confirmo ICM", DeviceType::kLoopRecorder, false},
};
inline constexpr DeviceModel kBiotronikModels[] = {
    {"Enora 8 DR-T", DeviceType::kPacemaker, true},
    {"Enora 5 DR-T", DeviceType::kPacemaker, true},
    {"Intivo 7 VR-T", DeviceType::kIcd, false},
    {"Intivo 7 DR-T", DeviceType::kIcd, true},
    {"Intivo 7 HF-T QP", DeviceType::kCrtD, true},
    {"Enora 8 HF-T QP", DeviceType::kCrtP, true},
    {"BioSensor III", DeviceType::kLoopRecorder, false},
};
inline constexpr DeviceModel kMicroPortModels[] = {
    {"Alvera DR", DeviceType::kPacemaker, true},
    {"Alvera DR MRI", DeviceType::kPacemaker, true},
    {"Platina VR 1210", DeviceType::kIcd, false},
    {"Platina DR 1510", DeviceType::kIcd, true},
    {"Platina 4LV CRT-D 1844", DeviceType::kCrtD, true},
    {"Alvera CRT-P", DeviceType::kCrtP, true},
};

inline constexpr std::array<Sender, 5> kSenders = {{
    {.key = "medtronic",
     .application = "CARELINK",
     .facility = "MDT",
     .manufacturer_enum = {0, "MDC_IDC_ENUM_MFG", "MDT", "Medtronic"},
     .serial_prefix = "PZK",
     .lead_serial_prefix = "PJN",
     .models = kMedtronicModels,
     .leads = {"5176 CapFix Atrial 52cm", "5176 CapFix Ventricular 58cm", "6937M Sprinter Quad DF4",
               "4498 Attivo Quad LV 88cm"},
     .serial_digits = 6,
     .manufacturer = Manufacturer::kMedtronic,
     .version = "2.6",
     .charset = "",
     .coding_system = "MDC",
     .terminator = Terminator::kCr,
     .ed_layout = EdLayout::kTf2,
     .pv1 = Pv1::kAlways,
     .final_terminator = true,
     .msh9_structure = true,
     .accept_ack_fields = true,
     .profile = true,
     .upper_case_pid = true,
     .utc_offset = true,
     .legacy_pg_names = false,
     .tx_for_st = false,
     .mnemonic_only_cwe = false,
     .instance_on_single = false,
     .unit_variants = false,
     .vendor_session_code = true,
     .unknown_birth_parts = true,
     .wrapped_base64 = false},
    {.key = "boston_scientific",
     .application = "LATITUDE",
     .facility = "BSX",
     .manufacturer_enum = {0, "MDC_IDC_ENUM_MFG", "BSX", "Boston Scientific"},
     .serial_prefix = "",
     .lead_serial_prefix = "",
     .models = kBostonModels,
     .leads = {"7741 Fineline Atrial 52cm", "7742 Fineline Ventricular 59cm",
               "0693 Endura DF4 64cm", "4677 Acuvia X4 LV 86cm"},
     .serial_digits = 6,
     .manufacturer = Manufacturer::kBostonScientific,
     .version = "2.6",
     .charset = "UNICODE UTF-8",
     .coding_system = "MDC",
     .terminator = Terminator::kCrLf,
     .ed_layout = EdLayout::kHl7,
     .pv1 = Pv1::kNever,
     .final_terminator = true,
     .msh9_structure = true,
     .accept_ack_fields = false,
     .profile = true,
     .upper_case_pid = false,
     .utc_offset = false,
     .legacy_pg_names = false,
     .tx_for_st = false,
     .mnemonic_only_cwe = false,
     .instance_on_single = false,
     .unit_variants = false,
     .vendor_session_code = false,
     .unknown_birth_parts = false,
     .wrapped_base64 = false},
    {.key = "abbott",
     .application = "MERLIN.NET",
     .facility = "SJM",
     .manufacturer_enum = {753751, "MDC_IDC_ENUM_MFG", "STJ", "St. Jude Medical"},
     .serial_prefix = "",
     .lead_serial_prefix = "BBD",
     .models = kAbbottModels,
     .leads = {"LPA1200M Tendra 46cm", "LPA1200M Tendra 52cm", "LDA3000 Durano DF4 65cm",
               "1458Q Quadrant LV 86cm"},
     .serial_digits = 7,
     .manufacturer = Manufacturer::kAbbott,
     .version = "2.5",
     .charset = "UNICODE UTF-8",
     .coding_system = "MDC",
     .terminator = Terminator::kLf,
     .ed_layout = EdLayout::kTf2,
     .pv1 = Pv1::kInClinic,
     .final_terminator = true,
     .msh9_structure = false,
     .accept_ack_fields = false,
     .profile = false,
     .upper_case_pid = false,
     .utc_offset = false,
     .legacy_pg_names = true,
     .tx_for_st = false,
     .mnemonic_only_cwe = false,
     .instance_on_single = true,
     .unit_variants = false,
     .vendor_session_code = false,
     .unknown_birth_parts = false,
     .wrapped_base64 = false},
    {.key = "biotronik",
     .application = "HOMEMONITORING",
     .facility = "BIO",
     .manufacturer_enum = {753731, "MDC_IDC_ENUM_MFG", "BIO", "Biotronik"},
     .serial_prefix = "",
     .lead_serial_prefix = "",
     .models = kBiotronikModels,
     .leads = {"Solis S 53", "Solis S 60", "Protivo DF4 S 65", "Sentra QP L-85"},
     .serial_digits = 8,
     .manufacturer = Manufacturer::kBiotronik,
     .version = "2.6",
     .charset = "UNICODE UTF-8",
     .coding_system = "MDC_IDC",
     .terminator = Terminator::kCrLfBlankLine,
     .ed_layout = EdLayout::kTf2,
     .pv1 = Pv1::kNever,
     .final_terminator = true,
     .msh9_structure = false,
     .accept_ack_fields = true,
     .profile = false,
     .upper_case_pid = false,
     .utc_offset = true,
     .legacy_pg_names = false,
     .tx_for_st = false,
     .mnemonic_only_cwe = true,
     .instance_on_single = false,
     .unit_variants = false,
     .vendor_session_code = false,
     .unknown_birth_parts = false,
     .wrapped_base64 = true},
    {.key = "microport",
     .application = "SMARTVIEW",
     .facility = "MICROPORT",
     .manufacturer_enum = {0, "MDC_IDC_ENUM_MFG", "MCP", "MicroPort CRM"},
     .serial_prefix = "Y",
     .lead_serial_prefix = "YL",
     .models = kMicroPortModels,
     .leads = {"Vegra R52", "Vegra R58", "Nexo DF4 62", "Navira 4LV 85"},
     .serial_digits = 6,
     .manufacturer = Manufacturer::kMicroPort,
     .version = "2.5",
     .charset = "",
     .coding_system = "MDC",
     .terminator = Terminator::kCr,
     .ed_layout = EdLayout::kHl7,
     .pv1 = Pv1::kAlways,
     .final_terminator = false,
     .msh9_structure = true,
     .accept_ack_fields = false,
     .profile = false,
     .upper_case_pid = false,
     .utc_offset = false,
     .legacy_pg_names = false,
     .tx_for_st = true,
     .mnemonic_only_cwe = false,
     .instance_on_single = false,
     .unit_variants = true,
     .vendor_session_code = false,
     .unknown_birth_parts = false,
     .wrapped_base64 = false},
}};

inline const Sender& SenderFor(Manufacturer m) { return kSenders[static_cast<std::size_t>(m)]; }

// Obviously fake family names; some need HL7 escaping, some are not ASCII.
inline constexpr std::string_view kFamilyNames[] = {
    "Demo",       "Testperson", "Müller-Demo", "Mustermann",       "Placeholder", "Sample",
    "Exampleton", "Fakeley",    "O'Demo",      "Smith^Jones-Demo", "Nobody",      "Synthetic",
    "Łódz-Test",  "Doe-Demo",   "Beispiel",    "Pseudonym & Co"};
inline constexpr std::string_view kFemaleNames[] = {
    "Zoë", "Anna", "Renée", "Maria", "Jane", "Siobhán", "Ingrid", "Mei", "Chloé", "Agnieszka"};
inline constexpr std::string_view kMaleNames[] = {"Łukasz", "John",  "José",   "Björn", "Max",
                                                  "Ahmed",  "Kenji", "Jürgen", "Test",  "Noël"};
// Free-text fields (clinician, clinic, facility) with characters that need escaping.
inline constexpr std::string_view kClinicians[] = {"Dr. Smith^Jones (demo)", "Dr. Zoë Example",
                                                   "Dr. A. Placeholder", "Dr. Łukasz Demo",
                                                   "Dr. Test|Pipe"};
inline constexpr std::string_view kClinics[] = {
    "Demo Heart Clinic", "O'Brien & Sons Heart Center (DEMO)", "Klinik Müller~Süd (Demo)",
    "Synthetic Rhythm Unit"};

}  // namespace heartbase::demo::internal

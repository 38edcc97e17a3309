// Names of the domain enumerations, as used in JSON and logs.
#include "domain/interrogation.h"

namespace heartbase::domain {

std::string_view ToString(DeviceType t) {
  switch (t) {
    case DeviceType::kPacemaker:
      return "pacemaker";
    case DeviceType::kIcd:
      return "icd";
    case DeviceType::kCrtD:
      return "crt-d";
    case DeviceType::kCrtP:
      return "crt-p";
    case DeviceType::kMonitor:
      return "loop-recorder";
    case DeviceType::kOther:
      return "other";
    case DeviceType::kUnknown:
      break;
  }
  return "unknown";
}

std::string_view ToString(SessionType t) {
  switch (t) {
    case SessionType::kImplant:
      return "Implant";
    case SessionType::kInClinic:
      return "InClinic";
    case SessionType::kRemote:
      return "Remote";
    case SessionType::kRemoteScheduled:
      return "RemoteScheduled";
    case SessionType::kRemoteDeviceInitiated:
      return "RemoteDeviceInitiated";
    case SessionType::kRemotePatientInitiated:
      return "RemotePatientInitiated";
    case SessionType::kOther:
      return "Other";
    case SessionType::kUnknown:
      break;
  }
  return "Unknown";
}

std::string_view ToString(ResultStatus s) {
  switch (s) {
    case ResultStatus::kFinal:
      return "final";
    case ResultStatus::kPreliminary:
      return "preliminary";
    case ResultStatus::kCorrected:
      return "corrected";
    case ResultStatus::kStored:
      return "stored";
    case ResultStatus::kUnknown:
      break;
  }
  return "unknown";
}

std::string_view ToString(Category c) {
  switch (c) {
    case Category::kDevice:
      return "device";
    case Category::kLead:
      return "lead";
    case Category::kSession:
      return "session";
    case Category::kMeasurement:
      return "measurement";
    case Category::kSetting:
      return "setting";
    case Category::kZone:
      return "zone";
    case Category::kStatistic:
      return "statistic";
    case Category::kEpisodeCounter:
      return "episode_counter";
    case Category::kEpisode:
      return "episode";
    case Category::kOther:
      break;
  }
  return "other";
}

}  // namespace heartbase::domain

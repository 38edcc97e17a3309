// The access policy: roles → permissions in one table, and the one pure function that decides
// every request (role × permission × clinic membership × break-glass × token scopes). Deny by
// default. No I/O: the caller loads the Subject (users.h) and writes the audit record.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace heartbase::auth {

enum class Role : std::uint8_t {
  kAdministrator,    // users, rules, configuration; no patient data of its own
  kPhysician,        // clinical work including sign-off
  kDeviceClinician,  // clinical work up to review (technicians, nurses)
  kBiller,           // the billing facts of a follow-up, never its measurements or EGMs
  kViewer,           // read-only clinical access
  kAuditor,          // the audit trail only
  kIntegration,      // machine accounts behind API tokens
};
inline constexpr std::size_t kRoleCount = 7;

enum class Permission : std::uint8_t {
  kPatientRead,
  kPatientWrite,
  kInterrogationRead,    // measurements, episodes, EGMs and other attachments
  kInterrogationReview,  // mark reviewed, annotate, acknowledge alerts
  kInterrogationSignoff,
  kTrendRead,
  kBillingRead,  // date, type, device and billing codes of a follow-up; no clinical values
  kAuditRead,
  kUserAdmin,
  kHl7Upload,
  kUnmatchedResolve,  // unmatched interrogations have no clinic yet: not clinic-scoped
  kReportSend,
  kRulesAdmin,
  kBreakGlassUse,
  kBillingExport,  // run the charge close job and export charges to the billing system
};
inline constexpr std::size_t kPermissionCount = 15;

// A set of permissions (a bit per permission).
class PermissionSet {
 public:
  constexpr PermissionSet() = default;
  constexpr PermissionSet(std::initializer_list<Permission> permissions) {
    for (Permission p : permissions) Add(p);
  }
  static constexpr PermissionSet All() {
    PermissionSet s;
    s.bits_ = (std::uint32_t{1} << kPermissionCount) - 1;
    return s;
  }
  constexpr void Add(Permission p) { bits_ |= Bit(p); }
  constexpr bool Has(Permission p) const { return (bits_ & Bit(p)) != 0; }
  constexpr PermissionSet Intersect(PermissionSet other) const {
    PermissionSet s;
    s.bits_ = bits_ & other.bits_;
    return s;
  }
  constexpr bool empty() const { return bits_ == 0; }
  friend constexpr bool operator==(PermissionSet, PermissionSet) = default;

 private:
  static constexpr std::uint32_t Bit(Permission p) {
    return std::uint32_t{1} << static_cast<unsigned>(p);
  }
  std::uint32_t bits_ = 0;
};

// A clinic (site). Patients belong to one; users are members of any number.
enum class ClinicId : std::int64_t {};

// What is known about the caller when a request is decided. `now_us` is the time of the request.
struct Subject {
  std::int64_t user_id = 0;  // 0 = nobody: every request is denied
  Role role = Role::kViewer;
  std::vector<ClinicId> clinics;          // memberships
  std::optional<PermissionSet> scopes;    // set for API tokens: restricts the role further
  std::int64_t break_glass_until_us = 0;  // an active or past break-glass grant; 0 = none
  std::int64_t step_up_until_us = 0;      // last re-authentication + its validity; 0 = none
  bool mfa_enrollment_pending = false;    // signed in, but must enrol MFA before anything else
  bool disabled = false;
  std::int64_t now_us = 0;
};

enum class DecisionReason : std::uint8_t {
  kGranted,            // allowed by role (and membership where the object has a clinic)
  kNoSubject,          // no authenticated user (user_id 0): nothing is allowed
  kGrantedBreakGlass,  // allowed only through an active break-glass grant
  kUnknownPermission,  // not in the table: deny by default
  kRoleLacksPermission,
  kScopeLacksPermission,  // the token was not given this scope
  kOtherClinic,           // the object belongs to a clinic the user is not a member of
  kBreakGlassExpired,     // as kOtherClinic, with a grant that has ended
  kStepUpRequired,        // re-authenticate (≤ 5 minutes) before this action
  kMfaEnrollmentPending,
  kAccountDisabled,
};

struct Decision {
  bool allowed = false;
  DecisionReason reason = DecisionReason::kUnknownPermission;
};

// The table row of a permission.
struct PermissionInfo {
  Permission permission;
  std::string_view name;  // "patient.read"
  bool clinic_scoped;     // objects belong to a clinic: membership (or break-glass) is needed
  bool step_up;           // needs a re-authentication no older than kStepUpMaxAgeUs
};

inline constexpr std::int64_t kStepUpMaxAgeUs = 5 * 60 * 1'000'000LL;

// Decides one request. `object_clinic` is the clinic of the object acted on, or nullopt for an
// action on no particular object (a search or list: the caller then restricts the query to
// subject.clinics, plus every clinic while break-glass is active). Pure and thread-safe.
Decision Authorize(const Subject& subject, Permission permission,
                   std::optional<ClinicId> object_clinic);

// The permissions of a role (the one table).
PermissionSet RolePermissions(Role role);
// The table row; nullptr for a value outside the enumeration.
const PermissionInfo* FindPermission(Permission permission);
std::span<const PermissionInfo> AllPermissions();
std::span<const Role> AllRoles();

// Names as they appear in configuration, tokens and audit records.
std::string_view RoleName(Role role);
std::optional<Role> ParseRole(std::string_view name);
std::string_view PermissionName(Permission permission);
std::optional<Permission> ParsePermission(std::string_view name);
std::string_view DecisionReasonName(DecisionReason reason);

}  // namespace heartbase::auth

// The role table and Authorize. Changing a row changes who sees patient data: the matrix in
// policy_test.cpp spells the same table out again so that every change is reviewed twice.
#include "auth/policy.h"

#include <algorithm>
#include <array>

namespace heartbase::auth {
namespace {

using P = Permission;

constexpr std::array<PermissionInfo, kPermissionCount> kPermissions{{
    {P::kPatientRead, "patient.read", true, false},
    {P::kPatientWrite, "patient.write", true, false},
    {P::kInterrogationRead, "interrogation.read", true, false},
    {P::kInterrogationReview, "interrogation.review", true, false},
    {P::kInterrogationSignoff, "interrogation.signoff", true, true},
    {P::kTrendRead, "trend.read", true, false},
    {P::kBillingRead, "billing.read", true, false},
    {P::kAuditRead, "audit.read", false, false},
    {P::kUserAdmin, "user.admin", false, true},
    {P::kHl7Upload, "hl7.upload", false, false},
    {P::kUnmatchedResolve, "unmatched.resolve", false, false},
    {P::kReportSend, "report.send", true, true},  // a document leaves the clinic
    {P::kRulesAdmin, "rules.admin", false, true},
    {P::kBreakGlassUse, "breakglass.use", false, false},
    {P::kBillingExport, "billing.export", true, false},
}};

struct RoleRow {
  Role role;
  std::string_view name;
  PermissionSet permissions;
};

// Roles → permissions. Least privilege: the administrator manages accounts and rules but reads
// no patient data; the auditor reads the trail and nothing else; the biller never sees
// measurements or EGMs; only clinicians may break the glass.
constexpr std::array<RoleRow, kRoleCount> kRoles{{
    {Role::kAdministrator, "administrator", {P::kUserAdmin, P::kRulesAdmin}},
    {Role::kPhysician,
     "physician",
     {P::kPatientRead, P::kPatientWrite, P::kInterrogationRead, P::kInterrogationReview,
      P::kInterrogationSignoff, P::kTrendRead, P::kUnmatchedResolve, P::kReportSend,
      P::kBreakGlassUse}},
    {Role::kDeviceClinician,
     "device_clinician",
     {P::kPatientRead, P::kPatientWrite, P::kInterrogationRead, P::kInterrogationReview,
      P::kTrendRead, P::kUnmatchedResolve, P::kReportSend, P::kBreakGlassUse}},
    {Role::kBiller, "biller", {P::kPatientRead, P::kBillingRead, P::kBillingExport}},
    {Role::kViewer, "viewer", {P::kPatientRead, P::kInterrogationRead, P::kTrendRead}},
    {Role::kAuditor, "auditor", {P::kAuditRead}},
    {Role::kIntegration,
     "integration",
     {P::kHl7Upload, P::kPatientRead, P::kInterrogationRead, P::kTrendRead}},
}};

constexpr std::array<Role, kRoleCount> kRoleList = {
    Role::kAdministrator, Role::kPhysician, Role::kDeviceClinician, Role::kBiller,
    Role::kViewer,        Role::kAuditor,   Role::kIntegration};

// The tables are indexed by the enumerations: check the order at compile time.
constexpr bool TablesAreInOrder() {
  for (std::size_t i = 0; i < kPermissions.size(); ++i) {
    if (static_cast<std::size_t>(kPermissions[i].permission) != i) return false;
  }
  for (std::size_t i = 0; i < kRoles.size(); ++i) {
    if (static_cast<std::size_t>(kRoles[i].role) != i || kRoleList[i] != kRoles[i].role) {
      return false;
    }
  }
  return true;
}
static_assert(TablesAreInOrder());

const RoleRow* FindRole(Role role) {
  const auto i = static_cast<std::size_t>(role);
  return i < kRoles.size() ? &kRoles[i] : nullptr;
}

Decision Deny(DecisionReason reason) { return {false, reason}; }

}  // namespace

const PermissionInfo* FindPermission(Permission permission) {
  const auto i = static_cast<std::size_t>(permission);
  return i < kPermissions.size() ? &kPermissions[i] : nullptr;
}

PermissionSet RolePermissions(Role role) {
  const RoleRow* row = FindRole(role);
  return row ? row->permissions : PermissionSet{};
}

std::span<const PermissionInfo> AllPermissions() { return kPermissions; }
std::span<const Role> AllRoles() { return kRoleList; }

Decision Authorize(const Subject& subject, Permission permission,
                   std::optional<ClinicId> object_clinic) {
  const PermissionInfo* info = FindPermission(permission);
  if (info == nullptr) return Deny(DecisionReason::kUnknownPermission);
  if (subject.user_id <= 0) return Deny(DecisionReason::kNoSubject);
  if (subject.disabled) return Deny(DecisionReason::kAccountDisabled);
  if (subject.mfa_enrollment_pending) return Deny(DecisionReason::kMfaEnrollmentPending);
  const PermissionSet granted = RolePermissions(subject.role);
  if (!granted.Has(permission)) return Deny(DecisionReason::kRoleLacksPermission);
  if (subject.scopes && !subject.scopes->Has(permission)) {
    return Deny(DecisionReason::kScopeLacksPermission);
  }
  if (info->step_up && subject.now_us >= subject.step_up_until_us) {
    return Deny(DecisionReason::kStepUpRequired);
  }
  if (!info->clinic_scoped || !object_clinic) return {true, DecisionReason::kGranted};
  if (std::find(subject.clinics.begin(), subject.clinics.end(), *object_clinic) !=
      subject.clinics.end()) {
    return {true, DecisionReason::kGranted};
  }
  // Outside the user's clinics only an active break-glass grant helps, and only for a subject
  // that may break the glass at all (a token needs the scope too).
  const bool may_break_glass = granted.Has(Permission::kBreakGlassUse) &&
                               (!subject.scopes || subject.scopes->Has(Permission::kBreakGlassUse));
  if (may_break_glass && subject.break_glass_until_us > 0) {
    if (subject.now_us < subject.break_glass_until_us) {
      return {true, DecisionReason::kGrantedBreakGlass};
    }
    return Deny(DecisionReason::kBreakGlassExpired);
  }
  return Deny(DecisionReason::kOtherClinic);
}

std::string_view RoleName(Role role) {
  const RoleRow* row = FindRole(role);
  return row ? row->name : "unknown";
}

std::optional<Role> ParseRole(std::string_view name) {
  for (const RoleRow& row : kRoles) {
    if (row.name == name) return row.role;
  }
  return std::nullopt;
}

std::string_view PermissionName(Permission permission) {
  const PermissionInfo* info = FindPermission(permission);
  return info ? info->name : "unknown";
}

std::optional<Permission> ParsePermission(std::string_view name) {
  for (const PermissionInfo& info : kPermissions) {
    if (info.name == name) return info.permission;
  }
  return std::nullopt;
}

std::string_view DecisionReasonName(DecisionReason reason) {
  switch (reason) {
    case DecisionReason::kGranted:
      return "granted";
    case DecisionReason::kNoSubject:
      return "no_subject";
    case DecisionReason::kGrantedBreakGlass:
      return "granted_break_glass";
    case DecisionReason::kUnknownPermission:
      return "unknown_permission";
    case DecisionReason::kRoleLacksPermission:
      return "role_lacks_permission";
    case DecisionReason::kScopeLacksPermission:
      return "scope_lacks_permission";
    case DecisionReason::kOtherClinic:
      return "other_clinic";
    case DecisionReason::kBreakGlassExpired:
      return "break_glass_expired";
    case DecisionReason::kStepUpRequired:
      return "step_up_required";
    case DecisionReason::kMfaEnrollmentPending:
      return "mfa_enrollment_pending";
    case DecisionReason::kAccountDisabled:
      return "account_disabled";
  }
  return "unknown";
}

}  // namespace heartbase::auth

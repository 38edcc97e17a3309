#include "auth/policy.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

namespace heartbase::auth {
namespace {

constexpr std::int64_t kNow = 1'700'000'000'000'000;
constexpr std::int64_t kMinute = 60'000'000;
constexpr ClinicId kOwn{1};
constexpr ClinicId kOther{2};

// The role table, spelled out a second time: a change to policy.cpp that is not also made here
// fails, so every change to who may do what is reviewed twice.
const std::map<Role, std::set<std::string>>& Expected() {
  static const std::map<Role, std::set<std::string>> kExpected = {
      {Role::kAdministrator, {"user.admin", "rules.admin"}},
      {Role::kPhysician,
       {"patient.read", "patient.write", "interrogation.read", "interrogation.review",
        "interrogation.signoff", "trend.read", "unmatched.resolve", "report.send",
        "breakglass.use"}},
      {Role::kDeviceClinician,
       {"patient.read", "patient.write", "interrogation.read", "interrogation.review", "trend.read",
        "unmatched.resolve", "report.send", "breakglass.use"}},
      {Role::kBiller, {"patient.read", "billing.read", "billing.export"}},
      {Role::kViewer, {"patient.read", "interrogation.read", "trend.read"}},
      {Role::kAuditor, {"audit.read"}},
      {Role::kIntegration, {"hl7.upload", "patient.read", "interrogation.read", "trend.read"}},
  };
  return kExpected;
}

Subject Member(Role role) {
  Subject s;
  s.user_id = 7;
  s.role = role;
  s.clinics = {kOwn};
  s.step_up_until_us = kNow + kMinute;  // re-authenticated a moment ago
  s.now_us = kNow;
  return s;
}

TEST(Policy, EveryRoleAndPermissionInTheOwnClinicFollowsTheTable) {
  ASSERT_EQ(AllRoles().size(), Expected().size());
  for (Role role : AllRoles()) {
    const auto& allowed = Expected().at(role);
    for (const PermissionInfo& p : AllPermissions()) {
      const bool expected = allowed.contains(std::string(p.name));
      const Subject s = Member(role);
      for (std::optional<ClinicId> object :
           {std::optional<ClinicId>(kOwn), std::optional<ClinicId>()}) {
        const Decision d = Authorize(s, p.permission, object);
        EXPECT_EQ(d.allowed, expected) << RoleName(role) << " " << p.name;
        EXPECT_EQ(d.reason,
                  expected ? DecisionReason::kGranted : DecisionReason::kRoleLacksPermission)
            << RoleName(role) << " " << p.name;
      }
    }
  }
}

TEST(Policy, AnotherClinicsObjectsAreDeniedForEveryRole) {
  for (Role role : AllRoles()) {
    for (const PermissionInfo& p : AllPermissions()) {
      const Decision d = Authorize(Member(role), p.permission, kOther);
      const bool granted = Expected().at(role).contains(std::string(p.name));
      if (p.clinic_scoped) {
        EXPECT_FALSE(d.allowed) << RoleName(role) << " " << p.name;
        EXPECT_EQ(d.reason,
                  granted ? DecisionReason::kOtherClinic : DecisionReason::kRoleLacksPermission);
      } else {
        EXPECT_EQ(d.allowed, granted) << RoleName(role) << " " << p.name;
      }
    }
  }
}

TEST(Policy, PatientDataIsClinicScopedAndAdministrationIsNot) {
  for (const char* name :
       {"patient.read", "patient.write", "interrogation.read", "interrogation.review",
        "interrogation.signoff", "trend.read", "billing.read", "report.send"}) {
    const auto p = ParsePermission(name);
    ASSERT_TRUE(p) << name;
    EXPECT_TRUE(FindPermission(*p)->clinic_scoped) << name;
  }
  for (const char* name : {"user.admin", "rules.admin", "audit.read", "hl7.upload"}) {
    EXPECT_FALSE(FindPermission(*ParsePermission(name))->clinic_scoped) << name;
  }
}

TEST(Policy, UserWithoutClinicsSeesNoPatient) {
  Subject s = Member(Role::kPhysician);
  s.clinics.clear();
  EXPECT_EQ(Authorize(s, Permission::kPatientRead, kOwn).reason, DecisionReason::kOtherClinic);
}

TEST(Policy, BreakGlassOpensOtherClinicsUntilItExpires) {
  Subject s = Member(Role::kPhysician);
  s.break_glass_until_us = kNow + 60 * kMinute;
  Decision d = Authorize(s, Permission::kInterrogationRead, kOther);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.reason, DecisionReason::kGrantedBreakGlass);
  // Own-clinic access is ordinary access, not break-glass.
  EXPECT_EQ(Authorize(s, Permission::kInterrogationRead, kOwn).reason, DecisionReason::kGranted);
  // It never adds a permission the role lacks.
  EXPECT_EQ(Authorize(s, Permission::kBillingRead, kOther).reason,
            DecisionReason::kRoleLacksPermission);
  s.now_us = s.break_glass_until_us;
  d = Authorize(s, Permission::kInterrogationRead, kOther);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.reason, DecisionReason::kBreakGlassExpired);
}

TEST(Policy, BreakGlassHelpsOnlyRolesThatMayUseIt) {
  Subject viewer = Member(Role::kViewer);
  viewer.break_glass_until_us = kNow + kMinute;  // however it got there
  EXPECT_EQ(Authorize(viewer, Permission::kPatientRead, kOther).reason,
            DecisionReason::kOtherClinic);
  Subject token = Member(Role::kPhysician);
  token.break_glass_until_us = kNow + kMinute;
  token.scopes = PermissionSet{Permission::kPatientRead};
  EXPECT_EQ(Authorize(token, Permission::kPatientRead, kOther).reason,
            DecisionReason::kOtherClinic);
}

TEST(Policy, AdminAndSignOffNeedARecentReauthentication) {
  Subject admin = Member(Role::kAdministrator);
  EXPECT_TRUE(Authorize(admin, Permission::kUserAdmin, std::nullopt).allowed);
  admin.step_up_until_us = kNow;  // expired just now
  EXPECT_EQ(Authorize(admin, Permission::kUserAdmin, std::nullopt).reason,
            DecisionReason::kStepUpRequired);
  Subject physician = Member(Role::kPhysician);
  physician.step_up_until_us = 0;
  EXPECT_EQ(Authorize(physician, Permission::kInterrogationSignoff, kOwn).reason,
            DecisionReason::kStepUpRequired);
  EXPECT_TRUE(Authorize(physician, Permission::kInterrogationReview, kOwn).allowed);
}

// Sending a report puts a document in the hands of someone outside the clinic.
TEST(Policy, SendingAReportNeedsARecentReauthentication) {
  for (Role role : {Role::kPhysician, Role::kDeviceClinician}) {
    Subject s = Member(role);
    EXPECT_TRUE(Authorize(s, Permission::kReportSend, kOwn).allowed) << RoleName(role);
    s.step_up_until_us = kNow;  // expired just now
    EXPECT_EQ(Authorize(s, Permission::kReportSend, kOwn).reason, DecisionReason::kStepUpRequired)
        << RoleName(role);
  }
  EXPECT_EQ(Authorize(Member(Role::kBiller), Permission::kReportSend, kOwn).reason,
            DecisionReason::kRoleLacksPermission);
}

TEST(Policy, TokenScopesRestrictTheRole) {
  Subject s = Member(Role::kIntegration);
  s.scopes = PermissionSet{Permission::kHl7Upload, Permission::kUserAdmin};
  EXPECT_TRUE(Authorize(s, Permission::kHl7Upload, std::nullopt).allowed);
  EXPECT_EQ(Authorize(s, Permission::kPatientRead, kOwn).reason,
            DecisionReason::kScopeLacksPermission);
  // A scope the role lacks adds nothing.
  EXPECT_EQ(Authorize(s, Permission::kUserAdmin, std::nullopt).reason,
            DecisionReason::kRoleLacksPermission);
}

TEST(Policy, NobodyMayDoAnything) {
  Subject nobody;
  nobody.clinics = {kOwn};
  nobody.now_us = kNow;
  for (const PermissionInfo& p : AllPermissions()) {
    EXPECT_EQ(Authorize(nobody, p.permission, std::nullopt).reason, DecisionReason::kNoSubject);
  }
}

TEST(Policy, DisabledRestrictedAndUnknownAreDenied) {
  Subject s = Member(Role::kPhysician);
  s.disabled = true;
  EXPECT_EQ(Authorize(s, Permission::kPatientRead, kOwn).reason, DecisionReason::kAccountDisabled);
  s.disabled = false;
  s.mfa_enrollment_pending = true;
  EXPECT_EQ(Authorize(s, Permission::kPatientRead, kOwn).reason,
            DecisionReason::kMfaEnrollmentPending);
  s.mfa_enrollment_pending = false;
  const Decision d = Authorize(s, static_cast<Permission>(200), kOwn);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.reason, DecisionReason::kUnknownPermission);
  s.role = static_cast<Role>(99);
  EXPECT_EQ(Authorize(s, Permission::kPatientRead, kOwn).reason,
            DecisionReason::kRoleLacksPermission);
}

TEST(Policy, NamesRoundTrip) {
  for (Role role : AllRoles()) EXPECT_EQ(ParseRole(RoleName(role)), role);
  for (const PermissionInfo& p : AllPermissions()) {
    EXPECT_EQ(ParsePermission(p.name), p.permission);
  }
  EXPECT_FALSE(ParseRole("root"));
  EXPECT_FALSE(ParsePermission("patient.*"));
  EXPECT_EQ(DecisionReasonName(DecisionReason::kGrantedBreakGlass), "granted_break_glass");
  EXPECT_EQ(PermissionSet::All().Intersect(PermissionSet{Permission::kAuditRead}),
            PermissionSet{Permission::kAuditRead});
}

}  // namespace
}  // namespace heartbase::auth

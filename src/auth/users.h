// Users (staff and integration accounts), clinics and memberships, and MFA enrollment. Every
// change that weakens a credential (password change, MFA reset, disable) revokes the user's
// sessions in the same transaction.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "auth/password.h"
#include "auth/policy.h"
#include "auth/totp.h"
#include "base/result.h"
#include "crypto/key_ring.h"
#include "store/database.h"

namespace heartbase::auth {

struct User {
  std::int64_t id = 0;
  std::string name;  // normalised sign-in name
  std::string display_name;
  Role role = Role::kViewer;
  bool has_password = false;
  bool mfa_enrolled = false;
  bool mfa_required = false;  // always true for administrators
  std::int64_t last_totp_step = 0;
  bool disabled = false;
  std::int64_t created_us = 0;
  std::int64_t updated_us = 0;
};

struct NewUser {
  std::string name;
  std::string display_name;
  Role role = Role::kViewer;
  bool mfa_required = false;
  std::vector<ClinicId> clinics;
};

inline constexpr std::size_t kMaxUserNameBytes = 64;
inline constexpr std::size_t kMaxDisplayNameBytes = 200;

// The sign-in name in its stored form: ASCII lower case; 1–64 of [a-z0-9._@-], starting with a
// letter or digit. kInvalidArgument otherwise.
base::Result<std::string> NormalizeUserName(std::string_view name);

// Creates a user. `password` may be null (integration accounts never have one; others can get
// one later with SetPassword); it must have been prepared for this user name, and with the MFA
// rule only if the account requires MFA. Administrators always require MFA. kInvalidArgument for
// a bad name, display name, password or clinic; kAlreadyExists if the name is taken.
base::Result<std::int64_t> CreateUser(store::Transaction& tx, const NewUser& user,
                                      const PreparedPassword* password, std::int64_t now_us);

// kNotFound if absent.
base::Result<User> GetUser(store::Transaction& tx, std::int64_t id);
// By sign-in name (normalised first). kNotFound if absent or not a valid name.
base::Result<User> FindUserByName(store::Transaction& tx, std::string_view name);
// Every user, by name.
base::Result<std::vector<User>> ListUsers(store::Transaction& tx);

// Replaces the password and revokes all the user's sessions. kInvalidArgument if `password` was
// prepared for another user name, or with the MFA length rule for an account without required
// MFA, or the user is an integration account; kNotFound if the user does not exist.
base::Status SetPassword(store::Transaction& tx, std::int64_t user_id,
                         const PreparedPassword& password, std::int64_t now_us);
// Disables the account (de-provisioning takes effect at once: sessions revoked; API tokens are
// refused while the user is disabled). kNotFound if absent.
base::Status DisableUser(store::Transaction& tx, std::int64_t user_id, std::int64_t now_us);
base::Status EnableUser(store::Transaction& tx, std::int64_t user_id, std::int64_t now_us);
// Changes the role (an administrator role also makes MFA required). kNotFound if absent.
base::Status SetRole(store::Transaction& tx, std::int64_t user_id, Role role, std::int64_t now_us);

// MFA enrollment, step 1: a new secret is stored sealed as pending (replacing any earlier pending
// one) and returned once for display. The enrolled secret, if any, stays in force until step 2.
struct MfaEnrollment {
  std::string secret_base32;
  std::string uri;  // otpauth:// for a QR code
};
base::Result<MfaEnrollment> EnrollMfa(store::Transaction& tx, const crypto::KeyRing& keys,
                                      std::int64_t user_id, const TotpOptions& totp,
                                      std::int64_t now_us);
// Step 2: a code from the app proves it holds the pending secret, which becomes the enrolled one.
// The code's step counts as used. kPermissionDenied for a wrong code; kNotFound if nothing is
// pending.
base::Status ConfirmMfa(store::Transaction& tx, const crypto::KeyRing& keys, std::int64_t user_id,
                        std::string_view code, const TotpOptions& totp, std::int64_t now_us);
// Removes the enrolled and any pending secret (lost phone) and revokes the user's sessions; the
// user enrols again at the next sign-in from a clinic network. kNotFound if absent.
base::Status ResetMfa(store::Transaction& tx, std::int64_t user_id, std::int64_t now_us);

// Clinics (sites). kAlreadyExists for a taken name; kInvalidArgument for an empty one.
base::Result<ClinicId> CreateClinic(store::Transaction& tx, std::string_view name,
                                    std::int64_t now_us);
// kInvalidArgument if the user or clinic does not exist. Adding twice is not an error.
base::Status AddToClinic(store::Transaction& tx, std::int64_t user_id, ClinicId clinic);
base::Status RemoveFromClinic(store::Transaction& tx, std::int64_t user_id, ClinicId clinic);
base::Result<std::vector<ClinicId>> ClinicsOf(store::Transaction& tx, std::int64_t user_id);

}  // namespace heartbase::auth

// Loading the Subject that policy::Authorize decides on, from a session or an API token. Done per
// request, so a role change, a removed membership or a disabled account counts at once.
#pragma once

#include <cstdint>

#include "auth/policy.h"
#include "auth/sessions.h"
#include "auth/tokens.h"
#include "base/result.h"
#include "store/database.h"

namespace heartbase::auth {

// The user's role, clinics, break-glass grant and disabled flag. No step-up, no scopes.
// kNotFound if the user does not exist.
base::Result<Subject> LoadSubject(store::Transaction& tx, std::int64_t user_id,
                                  std::int64_t now_us);

// A validated session: adds the step-up time and the MFA-enrollment restriction.
base::Result<Subject> SubjectForSession(store::Transaction& tx, const Session& session,
                                        const SessionOptions& options, std::int64_t now_us);

// A validated API token: adds its scopes. Tokens never carry a step-up, so admin and sign-off
// actions are out of their reach whatever the scopes say.
base::Result<Subject> SubjectForToken(store::Transaction& tx, const TokenInfo& token,
                                      std::int64_t now_us);

}  // namespace heartbase::auth

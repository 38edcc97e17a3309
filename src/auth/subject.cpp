// Subject loading: one read of the user, the memberships and the break-glass grant.
#include "auth/subject.h"

#include "auth/break_glass.h"
#include "auth/users.h"

namespace heartbase::auth {

base::Result<Subject> LoadSubject(store::Transaction& tx, std::int64_t user_id,
                                  std::int64_t now_us) {
  auto user = GetUser(tx, user_id);
  if (!user) return user.error();
  auto clinics = ClinicsOf(tx, user_id);
  if (!clinics) return clinics.error();
  auto until = BreakGlassUntil(tx, user_id);
  if (!until) return until.error();
  Subject s;
  s.user_id = user_id;
  s.role = user->role;
  s.clinics = std::move(*clinics);
  s.break_glass_until_us = *until;
  s.disabled = user->disabled;
  s.now_us = now_us;
  return s;
}

base::Result<Subject> SubjectForSession(store::Transaction& tx, const Session& session,
                                        const SessionOptions& options, std::int64_t now_us) {
  auto s = LoadSubject(tx, session.user_id, now_us);
  if (!s) return s;
  s->step_up_until_us = StepUpUntil(session, options);
  s->mfa_enrollment_pending = session.restricted;
  return s;
}

base::Result<Subject> SubjectForToken(store::Transaction& tx, const TokenInfo& token,
                                      std::int64_t now_us) {
  auto s = LoadSubject(tx, token.user_id, now_us);
  if (!s) return s;
  s->scopes = token.scopes;
  return s;
}

}  // namespace heartbase::auth

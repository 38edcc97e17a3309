// Address syntax (see address.h). Deliberately narrower than RFC 5322: what passes here is safe
// to put in an SMTP envelope and a header without quoting.
#include "base/address.h"

namespace heartbase::base {

bool OnlyAlnumOr(std::string_view s, std::string_view extra) {
  for (char c : s) {
    const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (!alnum && extra.find(c) == std::string_view::npos) return false;
  }
  return true;
}

bool IsEmailAddress(std::string_view s) {
  if (s.size() > 254) return false;
  const std::size_t at = s.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 >= s.size() || at > 64) return false;
  const std::string_view local = s.substr(0, at);
  const std::string_view domain = s.substr(at + 1);
  if (!OnlyAlnumOr(local, ".!#$%&'*+/=?^_`{|}~-") || local.front() == '.' || local.back() == '.' ||
      local.find("..") != std::string_view::npos) {
    return false;
  }
  return OnlyAlnumOr(domain, ".-") && domain.front() != '.' && domain.front() != '-' &&
         domain.back() != '.' && domain.find("..") == std::string_view::npos;
}

bool IsFaxNumber(std::string_view s) {
  const std::string_view digits = !s.empty() && s.front() == '+' ? s.substr(1) : s;
  return digits.size() >= 3 && digits.size() <= 20 &&
         digits.find_first_not_of("0123456789") == std::string_view::npos;
}

}  // namespace heartbase::base

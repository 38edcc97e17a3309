#include "report/model.h"

namespace heartbase::report {

std::string_view ToString(PageSize size) { return size == PageSize::kLetter ? "letter" : "a4"; }

std::optional<PageSize> ParsePageSize(std::string_view text) {
  auto equals = [text](std::string_view word) {
    if (text.size() != word.size()) return false;
    for (std::size_t i = 0; i < word.size(); ++i) {
      const char c = text[i] >= 'A' && text[i] <= 'Z' ? static_cast<char>(text[i] + 32) : text[i];
      if (c != word[i]) return false;
    }
    return true;
  };
  if (equals("a4")) return PageSize::kA4;
  if (equals("letter")) return PageSize::kLetter;
  return std::nullopt;
}

}  // namespace heartbase::report

// Escape decoding and encoding. Decoding is tolerant: anything it does not understand stays as
// it was received, because silently dropping bytes of a clinical value is worse than showing them.
#include "hl7/escape.h"

#include <cstring>

#include "hl7/internal/find.h"

namespace heartbase::hl7 {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// Decodes the body of one escape sequence (between the escape characters). Returns false if the
// sequence is not one we recognise, in which case the caller keeps it literally.
bool DecodeSequence(std::string_view body, const Delimiters& d, std::string* out) {
  if (body.size() == 1) {
    switch (body[0]) {
      case 'F':
        out->push_back(d.field);
        return true;
      case 'S':
        out->push_back(d.component);
        return true;
      case 'T':
        out->push_back(d.subcomponent);
        return true;
      case 'R':
        out->push_back(d.repetition);
        return true;
      case 'E':
        out->push_back(d.escape);
        return true;
      case 'P':
        if (d.truncation == '\0') return false;
        out->push_back(d.truncation);
        return true;
      case 'H':
      case 'N':
        return true;  // highlighting on/off: presentation only
      default:
        return false;
    }
  }
  if (body.empty()) return false;
  switch (body[0]) {
    case 'X': {
      const std::string_view hex = body.substr(1);
      if (hex.empty() || hex.size() % 2 != 0) return false;
      for (char c : hex) {
        if (HexValue(c) < 0) return false;
      }
      for (std::size_t i = 0; i < hex.size(); i += 2) {
        out->push_back(static_cast<char>(HexValue(hex[i]) * 16 + HexValue(hex[i + 1])));
      }
      return true;
    }
    case 'C':
    case 'M':
      // Character-set switches (ISO 2022 escapes): we do not transcode; drop the marker.
      for (char c : body.substr(1)) {
        if (HexValue(c) < 0) return false;
      }
      return body.size() == 5 || body.size() == 7;
    case 'Z':
      return true;  // locally defined; no local meaning here
    case '.': {
      const std::string_view cmd = body.substr(1, 2);
      std::string_view arg = body.substr(body.size() >= 3 ? 3 : body.size());
      while (!arg.empty() && arg.front() == ' ') arg.remove_prefix(1);
      if (cmd == "br" && arg.empty()) {
        out->push_back('\n');
        return true;
      }
      if (cmd == "sp") {
        int n = arg.empty() ? 1 : 0;
        for (char c : arg) {
          if (c < '0' || c > '9' || n > 100) return false;
          n = n * 10 + (c - '0');
        }
        out->append(static_cast<std::size_t>(n), '\n');
        return true;
      }
      return cmd == "in" || cmd == "ti" || cmd == "sk" || cmd == "ce" || cmd == "fi" || cmd == "nf";
    }
    default:
      return false;
  }
}

}  // namespace

void AppendUnescaped(std::string_view raw, const Delimiters& d, std::string* out) {
  const char esc = d.escape;
  std::size_t i = 0;
  while (i < raw.size()) {
    const void* hit = esc ? std::memchr(raw.data() + i, esc, raw.size() - i) : nullptr;
    if (hit == nullptr) {
      out->append(raw.data() + i, raw.size() - i);
      return;
    }
    const auto start = static_cast<std::size_t>(static_cast<const char*>(hit) - raw.data());
    out->append(raw.data() + i, start - i);
    const void* close = std::memchr(raw.data() + start + 1, esc, raw.size() - start - 1);
    if (close == nullptr) {  // unterminated: keep the rest literally
      out->append(raw.data() + start, raw.size() - start);
      return;
    }
    const auto stop = static_cast<std::size_t>(static_cast<const char*>(close) - raw.data());
    const std::size_t mark = out->size();
    if (DecodeSequence(raw.substr(start + 1, stop - start - 1), d, out)) {
      i = stop + 1;
    } else {
      // Not a sequence we know: keep the escape character and continue after it, so that the
      // closing character can open the next sequence (e.g. a lone "\" in free text).
      out->resize(mark);
      out->push_back(esc);
      i = start + 1;
    }
  }
}

std::string_view Unescape(std::string_view raw, const Delimiters& d, std::string* scratch) {
  if (d.escape == '\0' || raw.empty() ||
      internal::FindByte(raw.data(), raw.data() + raw.size(), d.escape) == nullptr) {
    return raw;
  }
  scratch->clear();
  AppendUnescaped(raw, d, scratch);
  return *scratch;
}

void AppendEscaped(std::string_view text, const Delimiters& d, std::string* out) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char c : text) {
    if (c == '\0') {
      out->push_back(c);
      continue;
    }
    if (c == d.escape) {
      out->push_back(d.escape), out->push_back('E'), out->push_back(d.escape);
    } else if (c == d.field) {
      out->push_back(d.escape), out->push_back('F'), out->push_back(d.escape);
    } else if (c == d.component) {
      out->push_back(d.escape), out->push_back('S'), out->push_back(d.escape);
    } else if (c == d.subcomponent) {
      out->push_back(d.escape), out->push_back('T'), out->push_back(d.escape);
    } else if (c == d.repetition) {
      out->push_back(d.escape), out->push_back('R'), out->push_back(d.escape);
    } else if (c == d.truncation) {
      out->push_back(d.escape), out->push_back('P'), out->push_back(d.escape);
    } else if (c == '\r' || c == '\n') {
      out->push_back(d.escape);
      out->push_back('X');
      out->push_back(kHex[(static_cast<unsigned char>(c) >> 4) & 0xF]);
      out->push_back(kHex[static_cast<unsigned char>(c) & 0xF]);
      out->push_back(d.escape);
    } else {
      out->push_back(c);
    }
  }
}

std::string Escape(std::string_view text, const Delimiters& d) {
  std::string out;
  out.reserve(text.size());
  AppendEscaped(text, d, &out);
  return out;
}

}  // namespace heartbase::hl7

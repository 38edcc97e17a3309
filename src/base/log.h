// Operational log: one logfmt line per event on stderr ("2026-11-23T15:20:01.123Z info ingest
// disposition=stored id=42"). It records what the service did, never patient data: callers pass
// ids, counts, codes, sender names, addresses and durations, and base::Error messages, which carry
// no patient data by contract. Every value is escaped, so no value can forge a line or a field.
#pragma once

#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <string>
#include <string_view>

#include "base/error.h"

namespace heartbase::base::log {

enum class Level : std::uint8_t { kDebug, kInfo, kWarn, kError };

struct Field {
  Field(std::string_view k, std::string_view v) : key(k), value(v) {}
  Field(std::string_view k, const char* v) : key(k), value(v) {}
  Field(std::string_view k, const std::string& v) : key(k), value(v) {}
  Field(std::string_view k, std::int64_t v);
  Field(std::string_view k, std::uint64_t v);
  Field(std::string_view k, int v) : Field(k, static_cast<std::int64_t>(v)) {}
  Field(std::string_view k, double v);
  // code=<name> error="<Describe()>"
  Field(std::string_view k, const Error& e);

  std::string_view key;
  std::string value;
};

// Where lines go (default stderr) and the lowest level written (default kInfo). Set once at
// start-up, before other threads log.
void SetSink(std::FILE* sink);
void SetLevel(Level level);

// Writes one line. Thread-safe: lines from concurrent callers never interleave.
void Write(Level level, std::string_view event, std::initializer_list<Field> fields = {});

inline void Info(std::string_view event, std::initializer_list<Field> fields = {}) {
  Write(Level::kInfo, event, fields);
}
inline void Warn(std::string_view event, std::initializer_list<Field> fields = {}) {
  Write(Level::kWarn, event, fields);
}
inline void Error(std::string_view event, std::initializer_list<Field> fields = {}) {
  Write(Level::kError, event, fields);
}

// The escaping used for values: bare when only [A-Za-z0-9._:/@|+-], otherwise double-quoted
// with \" \\ and \xNN for control bytes (CR, LF, tab, DEL and below 0x20).
std::string Escape(std::string_view value);

}  // namespace heartbase::base::log

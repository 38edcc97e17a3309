// The configuration file of `heartbase serve` (docs/configuration.md): one TOML file, grouped by
// module, covering every serve flag, plus the senders as tables. Flags given on the command line
// override what the file says.
#pragma once

#include <string>
#include <string_view>

#include "app/commands.h"
#include "base/result.h"

namespace heartbase::app {

// Applies the file's settings to `command` (which holds the defaults, or what an earlier source
// set). The reader is strict: an unknown key, a wrong type or an out-of-range value is
// kInvalidArgument "FILE:LINE: section.key: problem", and `command` is left unchanged.
base::Status ApplyConfigFile(const std::string& path, ServeCommand& command);
// The same from text already read; `origin` names it in errors.
base::Status ApplyConfigText(std::string_view text, std::string_view origin, ServeCommand& command);

// Every key with its default and a one-line comment, as a TOML file that ApplyConfigText reads
// back to the defaults (`serve --print-default-config`, written by `init` as DATA/heartbase.toml).
std::string DefaultConfigText();

// A TOML basic string holding `s` (quotes, backslashes and control characters escaped).
std::string TomlString(std::string_view s);

// Where `init` writes the commented defaults.
std::string ConfigPathIn(const std::string& data_root);  // DATA/heartbase.toml

}  // namespace heartbase::app

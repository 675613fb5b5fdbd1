// The configuration's outside forms: a redis.conf-style file, EMBERKV_*
// environment variables, and CONFIG REWRITE's update of the file. All of them
// go through the parameter table in server/config.h, so a parameter has the
// same name, checks and text form everywhere.
//
// Precedence (lowest first): built-in defaults, the config file, the
// environment, the command line (server/command_line.h).
//
// The file's syntax is redis.conf's: one directive per line, its name and
// arguments separated by blanks, arguments quoted as Redis does ("..." with
// \n \r \t \b \a \\ \" \xHH escapes, '...' with \' only), lines that start
// with '#' ignored. `bind` takes several addresses; every other directive one
// value. Not thread-safe: used before the workers start, and by CONFIG
// REWRITE on the config it is handed.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/config.h"

namespace emberkv::server {

// A value as the file writes it: bare when it reads back unchanged, else in
// double quotes with escapes.
std::string QuoteConfigValue(std::string_view value);

// Applies the directives of `text` (the contents of file `path`) to
// `config`. Returns "path:line: what is wrong ('the line')" for the first
// unknown or malformed line, leaving earlier lines applied.
std::optional<std::string> ApplyConfigText(std::string_view text, std::string_view path,
                                           ServerConfig& config);

// Reads the file and applies it; also records its absolute path in
// config.config_file (for INFO and CONFIG REWRITE).
std::optional<std::string> LoadConfigFile(std::string_view path, ServerConfig& config);

// The environment variable for a parameter: EMBERKV_ and the name in upper
// case with '-' as '_' (maxmemory-policy: EMBERKV_MAXMEMORY_POLICY).
std::string EnvironmentName(std::string_view param);

// Applies every EMBERKV_<PARAM> variable that is set (an empty value counts).
// `getenv` is a parameter so tests need not touch the process environment.
std::optional<std::string> ApplyEnvironment(ServerConfig& config,
                                            const char* (*getenv_fn)(const char*));

// The file's new text for CONFIG REWRITE, as Redis makes it: comments, blank
// lines and the order of directives kept; each parameter's first line
// replaced by its current value and its other lines dropped; parameters not
// in the file appended when they differ from the default.
std::string RewriteConfigText(std::string_view old_text, const ServerConfig& config);

// CONFIG REWRITE: rewrites config.config_file in place (a temporary file in
// the same folder, synced, then renamed over it). Returns Redis's error text
// without the "ERR " prefix on failure.
std::optional<std::string> RewriteConfigFile(const ServerConfig& config);

}  // namespace emberkv::server

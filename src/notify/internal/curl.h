// libcurl plumbing shared by the senders: one easy handle per delivery with TLS 1.2+, peer and
// host verification on, no redirects, bounded time, and a stop flag checked during transfers.
#pragma once

#include <curl/curl.h>

#include <atomic>
#include <memory>
#include <string>

#include "notify/sender.h"

namespace heartbase::notify::internal {

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
using CurlHandle = std::unique_ptr<CURL, CurlDeleter>;

struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

// A handle with the common options set. `protocols` e.g. "https" or "smtp,smtps".
CurlHandle NewHandle(const char* protocols, const std::string& ca_file, int connect_timeout_ms,
                     int timeout_ms, const std::atomic<bool>& stop);

// "curl 60: SSL peer certificate or SSH remote key was not OK" — libcurl's fixed text for the
// code, never the server's reply (which could echo an address or content).
std::string CurlError(CURLcode code);

// Appends `s` to a list; returns false when out of memory.
bool Append(Slist* list, const std::string& s);

}  // namespace heartbase::notify::internal

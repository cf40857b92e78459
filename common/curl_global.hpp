#pragma once
// libcurl's process-wide initialisation, done once for every libcurl user in
// roam (the controller's HTTP client, the Docker Engine client).

namespace roam {

// Calls curl_global_init once per process, before the first curl_easy_init;
// never undone (other libraries in the process may use curl too).
// curl_global_init is not thread-safe in every libcurl, hence the once.
void curlGlobalInitOnce();

}  // namespace roam

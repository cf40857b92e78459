#include <sstream>

#include "lang/decision.hpp"

namespace roam::lang {

namespace {

nlohmann::json optionalString(const std::optional<std::string>& s) {
  return s ? nlohmann::json(*s) : nlohmann::json(nullptr);
}

}  // namespace

nlohmann::json decisionToJson(const Decision& d) {
  nlohmann::json candidates = nlohmann::json::array();
  for (const auto& c : d.candidates) {
    nlohmann::json j{{"host", c.host}, {"score", nullptr}};
    if (c.score) {
      j["score"] = *c.score;
      j["score_text"] = formatQuantity(*c.score, c.dimension);
    }
    candidates.push_back(std::move(j));
  }
  nlohmann::json excluded = nlohmann::json::array();
  for (const auto& e : d.excluded) excluded.push_back({{"host", e.host}, {"reason", e.reason}});
  nlohmann::json mtd = nullptr;
  if (d.mtd) mtd = {{"scheme", d.mtd->scheme}, {"k", d.mtd->k}};
  return {
      {"policy", d.policy},
      {"triggered", d.triggered},
      {"container", optionalString(d.container)},
      {"source", optionalString(d.source)},
      {"destination", optionalString(d.destination)},
      {"candidates", std::move(candidates)},
      {"explanation", d.explanation},
      {"trigger", d.trigger},
      {"containers", d.containers},
      {"choice", d.choice},
      {"excluded", std::move(excluded)},
      {"mtd", std::move(mtd)},
      {"evaluated_at", d.evaluatedAt},
      {"interval_s",
       d.intervalSeconds ? nlohmann::json(*d.intervalSeconds) : nlohmann::json(nullptr)},
  };
}

std::string decisionToText(const Decision& d) {
  std::ostringstream out;
  out << "policy:      " << d.policy << "\n";
  out << "triggered:   " << (d.triggered ? "yes" : "no") << " (" << d.trigger << ")\n";
  if (d.triggered) {
    out << "container:   " << d.container.value_or("(none matched)") << "\n";
    if (d.source) out << "source:      " << *d.source << "\n";
    if (d.mtd)
      out << "destination: (hidden: chosen by the source agent, " << d.mtd->scheme << ")\n";
    else if (d.container)
      out << "destination: " << d.destination.value_or("(no eligible host)") << "\n";
    if (!d.choice.empty()) out << "choice:      " << d.choice << "\n";
    if (!d.candidates.empty()) {
      out << "candidates:\n";
      for (const auto& c : d.candidates) {
        out << "  " << c.host;
        if (c.score) out << "  " << formatQuantity(*c.score, c.dimension);
        if (d.destination && c.host == *d.destination) out << "  <- chosen";
        out << "\n";
      }
    }
    for (const auto& e : d.excluded) out << "  excluded " << e.host << ": " << e.reason << "\n";
  }
  out << "why:         " << d.explanation << "\n";
  return out.str();
}

}  // namespace roam::lang

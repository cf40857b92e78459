#pragma once
// The built-in functions of the policy language, as data. The checker types
// calls from this table, the docs generator prints it, and the REPL completes
// from it. Implementations live apart (builtin_impls.cpp) and are registered
// explicitly by id, so the table itself has no behaviour.

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lang/location.hpp"
#include "lang/types.hpp"

namespace roam::lang {

enum class BuiltinCategory { Measurement, Topology, Selection, Aggregate, Temporal, Mtd, Misc };

const char* categoryName(BuiltinCategory c);

// Ids of the built-ins; the table in builtins.cpp lists them in this order.
enum BuiltinId : int {
  kBandwidth,
  kRxBandwidth,
  kTxBandwidth,
  kUtilization,
  kHostBandwidth,
  kHostRxBandwidth,
  kHostTxBandwidth,
  kHostUtilization,
  kPacketRate,
  kByteRate,
  kFlowCount,
  kCapacity,
  kLatency,
  kPath,
  kShortestPath,
  kHops,
  kPathBandwidth,
  kAvailableBandwidth,
  kFreeHosts,
  kHasLabel,
  kRandom,
  kWeightedSample,
  kCount,
  kSum,
  kAvg,
  kMin,
  kMax,
  kAny,
  kAll,
  kArgmax,
  kArgmin,
  kAbs,
  kAvgOver,
  kMaxOver,
  kMinOver,
  kShamir,
  kFountain,
  kPrf,
  kBuiltinCount
};

// What the checker knows of one argument of a call.
struct ArgInfo {
  Type type;  // a binder's type is that of its body (or its element when no body)
  bool isBinder = false;
  Type binderSet;  // the set a binder ranges over
  bool binderHasBody = false;
  Location loc;
};

struct TypingResult {
  Type type;
  std::string error;  // empty when well-typed
  int argIndex = -1;  // the argument the error is about (-1: the call itself)
  std::string code = codes::kTypeError;
};

using Typer = TypingResult (*)(std::span<const ArgInfo> args);

struct BuiltinDecl {
  int id = 0;
  std::string_view name;
  std::string_view signature;  // for humans: "bandwidth(sw: switch, port: number) -> rate"
  std::string_view summary;
  std::string_view example;
  BuiltinCategory category = BuiltinCategory::Misc;
  int minArgs = 0;
  int maxArgs = 0;
  bool acceptsBinder = false;  // first argument may be `x in S [where C] [: E]`
  Typer typer = nullptr;
};

// Every built-in, in documentation order.
std::span<const BuiltinDecl> builtinTable();

// The declaration of `name`, or null.
const BuiltinDecl* findBuiltin(std::string_view name);

// A predefined name usable anywhere in a policy (hosts, switches, ...).
struct GlobalDecl {
  int id;
  std::string_view name;
  Type type;
  std::string_view summary;
};

enum GlobalId : int {
  kGlobalHosts,
  kGlobalSwitches,
  kGlobalContainers,
  kGlobalLinks,
  kGlobalNow,
  kGlobalDataAge,
  kGlobalCount
};

std::span<const GlobalDecl> globalTable();
const GlobalDecl* findGlobal(std::string_view name);

// The fields of a value of type `t`: name, type, summary.
struct FieldDecl {
  std::string_view name;
  Type type;
  std::string_view summary;
};
std::span<const FieldDecl> fieldsOf(TypeKind t);

// Is a value of type `from` usable where `to` is expected? Strings name hosts,
// switches and containers; the empty set fits every set; errors fit anything.
bool assignable(const Type& from, const Type& to);

}  // namespace roam::lang

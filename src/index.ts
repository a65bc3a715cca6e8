/**
 * beamish: Erlang/OTP's processes, supervision and back-pressure for TypeScript.
 */

export * from "./agent/index.js";
export * from "./gen-server/index.js";
export * from "./kernel/index.js";
export * from "./pipeline/index.js";
export * from "./registry/index.js";
export * from "./stage/index.js";
export * from "./supervisor/index.js";
export * from "./table/index.js";
export * from "./task/index.js";

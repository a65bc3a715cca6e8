/**
 * beamish: Erlang/OTP's processes, supervision and back-pressure for TypeScript.
 */

export * from "./gen-server/index.js";
export * from "./kernel/index.js";

/**
 * beamish: Erlang/OTP's processes, supervision and back-pressure for TypeScript.
 */
export * from "./kernel/index.js";

// Types of threads-cpu-worker.mjs (plain JavaScript so that Piscina can load it).
export declare const ROUNDS: number;
export declare function work(seed: number): number;
export default work;

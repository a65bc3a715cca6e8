// What every broker workload's pipeline does with its messages, so that the three measure the
// same work: mark each message in a processor, sum the ids of each batch, count to N.
//
// The handlers are made once per process and reset for each repetition, as a service defines
// its handlers once: new closures for every repetition made V8 throw away the pipeline's
// optimized hot path at each one (the call sites that inlined the last repetition's handlers
// deoptimize, "wrong call target") and re-optimize it while timed, which a running service
// never sees and the raw peers, whose loop is the same function in every repetition, never did.
import type { Message } from "beamish/pipeline";
import { checkIds, latch } from "../workload.js";

/** The JSON body the broker workloads publish. */
export interface Payload {
  id: number;
  seen?: boolean;
}

/** The current repetition's tally. */
let count = 0;
let sum = 0;
let target = 0;
let done: () => void = () => {};

const handleMessage = (_processor: string, message: Message<Payload>): Message<Payload> => {
  message.data.seen = true;
  return message;
};

const handleBatch = (_batcher: string, messages: Message<Payload>[]): Message<Payload>[] => {
  for (let i = 0; i < messages.length; i++) sum += (messages[i] as Message<Payload>).data.id;
  count += messages.length;
  if (count === target) done();
  return messages;
};

/**
 * The handlers of a broker workload's pipeline, `finished` once `n` messages went through a
 * batch, and `check`, which throws unless ids 0..n-1 each came once. Starts a new tally: one
 * repetition at a time.
 */
export function brokerTally(n: number) {
  count = 0;
  sum = 0;
  target = n;
  const finish = latch();
  done = finish.done;
  return {
    finished: finish.finished,
    check: (): void => checkIds(count, sum, n),
    handleMessage,
    handleBatch,
  };
}

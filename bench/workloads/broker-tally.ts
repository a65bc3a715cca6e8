// What every broker workload's pipeline does with its messages, so that the three measure the
// same work: mark each message in a processor, sum the ids of each batch, count to N.
import type { Message } from "beamish/pipeline";
import { checkIds, latch } from "../workload.js";

/** The JSON body the broker workloads publish. */
export interface Payload {
  id: number;
  seen?: boolean;
}

/**
 * The handlers of a broker workload's pipeline, `finished` once `n` messages went through a
 * batch, and `check`, which throws unless ids 0..n-1 each came once.
 */
export function brokerTally(n: number) {
  let count = 0;
  let sum = 0;
  const { done, finished } = latch();
  return {
    finished,
    check: (): void => checkIds(count, sum, n),
    handleMessage: (_processor: string, message: Message<Payload>): Message<Payload> => {
      message.data.seen = true;
      return message;
    },
    handleBatch: (_batcher: string, messages: Message<Payload>[]): Message<Payload>[] => {
      for (let i = 0; i < messages.length; i++) sum += (messages[i] as Message<Payload>).data.id;
      count += messages.length;
      if (count === n) done();
      return messages;
    },
  };
}

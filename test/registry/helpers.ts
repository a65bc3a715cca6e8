import { type Self, spawn } from "beamish";

/**
 * Spawns `n` processes that wait for orders: `"stop"` makes one return (exit `"normal"`),
 * `"crash"` makes it throw. Resolves with their handles once they run, so that tests register
 * them explicitly.
 */
export async function holders(n: number, settle: () => Promise<void>): Promise<Self[]> {
  const selves: Self[] = [];
  for (let i = 0; i < n; i++) {
    spawn(async (self) => {
      selves.push(self);
      for (;;) {
        const order = await self.receive();
        if (order === "stop") return;
        if (order === "crash") throw new Error("crash on order");
      }
    });
  }
  await settle();
  return selves;
}

import asyncio, signal, tracemalloc, os, gc, linecache
from bench.noop_bot import run
from bot.app import CertQuestBot

class TracedBot(CertQuestBot):
    async def setup_hook(self):
        await super().setup_hook()
        tracemalloc.start(8)
        self._snap0 = None
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGUSR1, self._dump)
        loop.add_signal_handler(signal.SIGUSR2, self._mark)
    def _mark(self):
        gc.collect(); self._snap0 = tracemalloc.take_snapshot()
    def _dump(self):
        gc.collect()
        snap = tracemalloc.take_snapshot()
        with open(os.environ["TRACE_OUT"], "w") as f:
            f.write(f"traced {tracemalloc.get_traced_memory()}\n")
            for st in snap.compare_to(self._snap0, "traceback")[:15]:
                f.write(f"{st}\n")
                for line in st.traceback.format()[-16:]:
                    f.write(line + "\n")
                f.write("----\n")

if __name__ == "__main__":
    asyncio.run(run(TracedBot))

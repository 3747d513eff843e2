package io.printmaster.itests.bench;

import java.util.concurrent.Delayed;
import java.util.concurrent.TimeUnit;

/** Something an agent does at a due time (nanoTime). */
record AgentTask(long due, SimulatedAgent agent, Kind kind, long token) implements Delayed {
    enum Kind { CHECK_IN, CHECK_IN_NOW, UPDATE_CHECK, RUN_STEP }

    @Override
    public long getDelay(TimeUnit unit) {
        return unit.convert(due - System.nanoTime(), TimeUnit.NANOSECONDS);
    }

    @Override
    public int compareTo(Delayed o) {
        return Long.compare(due, ((AgentTask) o).due);
    }
}

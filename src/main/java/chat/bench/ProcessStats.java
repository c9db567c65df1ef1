package chat.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * CPU and memory of this driver (from the JVM) and, optionally, of the server process under test
 * (from Linux /proc, so the driver needs no agent in the server).
 */
final class ProcessStats {

    /** Linux reports /proc/PID/stat times in USER_HZ ticks, 100 per second on every mainstream architecture. */
    private static final long NANOS_PER_TICK = 10_000_000L;

    private ProcessStats() {
    }

    /** CPU time this JVM has used, all threads, in nanoseconds. */
    static long driverCpuNanos() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return -1;
    }

    static long driverHeapUsedBytes() {
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    static int cores() {
        return Runtime.getRuntime().availableProcessors();
    }

    /** utime + stime of another process, in nanoseconds. */
    static OptionalLong cpuNanosOf(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            // the command name (field 2) may contain spaces and parentheses; fields after it are plain
            String afterName = stat.substring(stat.lastIndexOf(')') + 2);
            String[] f = afterName.split(" ");
            // afterName starts at field 3 (state); utime is field 14, stime field 15
            long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
            return OptionalLong.of(ticks * NANOS_PER_TICK);
        } catch (IOException | RuntimeException e) {
            return OptionalLong.empty();
        }
    }

    /** Resident set size of another process, in bytes. */
    static OptionalLong rssBytesOf(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    String kb = line.substring(6).trim().split("\\s+")[0];
                    return OptionalLong.of(Long.parseLong(kb) * 1024);
                }
            }
        } catch (IOException | RuntimeException e) {
            // gone or not Linux: the summary just leaves the field out
        }
        return OptionalLong.empty();
    }

    /** Average share of the whole machine (all cores) used between two CPU-time readings, in percent. */
    static double percentOfMachine(long cpuNanos, long wallNanos, int cores) {
        if (wallNanos <= 0 || cpuNanos < 0 || cores <= 0) {
            return 0;
        }
        return 100.0 * cpuNanos / ((double) wallNanos * cores);
    }
}

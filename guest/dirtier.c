/*
 * dirtier: the lab guest's workload and witness.
 *
 * - Dirties a working set of --ws-mib MiB at --rate-mib-s MiB/s: one 8-byte store per 4 KiB page,
 *   round robin, paced every few ms. Each page holds (generation << 32 | page index); a separate
 *   array remembers every page's generation, so a store lost by a live migration shows up.
 * - Writes a checksummed pattern to --disk (a ring of 4 KiB blocks, O_DIRECT|O_DSYNC) at
 *   --disk-ops-s blocks/s and remembers the last acknowledged sequence number.
 * - Prints one `STAT ...` line every --report-ms (and writes it to --stat-file for httpd's CGI):
 *   measured dirty rate, disk sequence, guest RAM total/available, CPU busy.
 * - SIGUSR1: pause, verify every page and every acknowledged block, print
 *   `RESULT-<id> mem=ok|FAIL ... disk=ok|FAIL ...` (id read from /tmp/verify.id), resume.
 * - SIGTERM/SIGINT: exit.
 *
 * Static, no dependencies: gcc -static -O2 -o dirtier dirtier.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096UL
#define BLOCK 4096UL
#define MAGIC 0x3130305441504254ULL /* "TBPAT001" */

static volatile sig_atomic_t want_verify = 0, want_exit = 0;
static void on_usr1(int s) { (void)s; want_verify = 1; }
static void on_term(int s) { (void)s; want_exit = 1; }

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t fnv1a(const unsigned char *p, size_t n) {
  uint64_t h = 1469598103934665603ULL;
  for (size_t i = 0; i < n; i++) { h ^= p[i]; h *= 1099511628211ULL; }
  return h;
}

/* Block layout: magic, seq, slot, checksum of the payload, then the payload derived from seq. */
static void fill_block(unsigned char *b, uint64_t seq, uint64_t slot) {
  uint64_t x = seq * 0x9E3779B97F4A7C15ULL + 1;
  for (size_t i = 32; i < BLOCK; i += 8) {
    x ^= x << 13; x ^= x >> 7; x ^= x << 17;
    memcpy(b + i, &x, 8);
  }
  uint64_t h[4] = {MAGIC, seq, slot, fnv1a(b + 32, BLOCK - 32)};
  memcpy(b, h, 32);
}

static int check_block(const unsigned char *b, uint64_t want_seq, uint64_t slot) {
  uint64_t h[4];
  memcpy(h, b, 32);
  return h[0] == MAGIC && h[1] == want_seq && h[2] == slot && h[3] == fnv1a(b + 32, BLOCK - 32);
}

static void meminfo(long *total, long *avail) {
  FILE *f = fopen("/proc/meminfo", "r");
  char line[256];
  *total = *avail = -1;
  if (!f) return;
  while (fgets(line, sizeof line, f)) {
    sscanf(line, "MemTotal: %ld kB", total);
    sscanf(line, "MemAvailable: %ld kB", avail);
  }
  fclose(f);
}

static void cpu_ticks(unsigned long long *busy, unsigned long long *all) {
  unsigned long long v[8] = {0};
  FILE *f = fopen("/proc/stat", "r");
  *busy = *all = 0;
  if (!f) return;
  if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) == 8) {
    for (int i = 0; i < 8; i++) *all += v[i];
    *busy = *all - v[3] - v[4];
  }
  fclose(f);
}

static void say(const char *line) {
  /* One write per line, so lines from several writers never interleave mid-line. */
  if (write(1, line, strlen(line)) < 0) { /* the console is gone: nothing to do */ }
}

int main(int argc, char **argv) {
  double ws_mib = 0, rate_mib_s = 0, disk_ops_s = 20;
  long report_ms = 1000;
  const char *disk = NULL, *stat_file = "/tmp/stat";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--ws-mib")) ws_mib = atof(argv[i + 1]);
    else if (!strcmp(argv[i], "--rate-mib-s")) rate_mib_s = atof(argv[i + 1]);
    else if (!strcmp(argv[i], "--disk")) disk = argv[i + 1];
    else if (!strcmp(argv[i], "--disk-ops-s")) disk_ops_s = atof(argv[i + 1]);
    else if (!strcmp(argv[i], "--report-ms")) report_ms = atol(argv[i + 1]);
    else if (!strcmp(argv[i], "--stat-file")) stat_file = argv[i + 1];
    else { fprintf(stderr, "dirtier: unknown option %s\n", argv[i]); return 2; }
  }
  signal(SIGUSR1, on_usr1);
  signal(SIGTERM, on_term);
  signal(SIGINT, on_term);

  size_t npages = (size_t)(ws_mib * 1024 * 1024 / PAGE);
  uint64_t *mem = NULL;
  uint32_t *gen = NULL;
  if (npages) {
    mem = mmap(NULL, npages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    gen = calloc(npages, sizeof *gen);
    if (mem == MAP_FAILED || !gen) { say("DIRTIER error: cannot allocate the working set\n"); return 1; }
    for (size_t p = 0; p < npages; p++) mem[p * (PAGE / 8)] = p; /* generation 0 */
  }

  int fd = -1;
  uint64_t nslots = 0, seq = 0; /* seq = last acknowledged write */
  unsigned char *blk = NULL;
  if (disk) {
    fd = open(disk, O_RDWR | O_DIRECT | O_DSYNC);
    uint64_t bytes = 0;
    struct stat st;
    if (fd >= 0 && ioctl(fd, BLKGETSIZE64, &bytes) < 0 && fstat(fd, &st) == 0) bytes = (uint64_t)st.st_size; /* a plain file */
    if (fd < 0 || bytes < BLOCK || posix_memalign((void **)&blk, BLOCK, 64 * BLOCK)) {
      char m[256];
      snprintf(m, sizeof m, "DIRTIER error: cannot open disk %s: %s\n", disk, strerror(errno));
      say(m);
      if (fd >= 0) close(fd);
      fd = -1;
    } else {
      nslots = bytes / BLOCK;
    }
  }

  double rate_pages = rate_mib_s * 1024 * 1024 / PAGE;
  double t0 = now_s(), last_report = t0, pace_base = t0, disk_base = t0;
  uint64_t dirtied_total = 0, dirtied_window = 0, pace_done = 0, disk_done = 0, disk_window = 0;
  size_t cursor = 0;
  unsigned long long cb0, ca0;
  cpu_ticks(&cb0, &ca0);
  char line[512];
  snprintf(line, sizeof line, "DIRTIER start ws_mib=%.0f rate_mib_s=%.1f pages=%zu disk=%s slots=%llu\n", ws_mib, rate_mib_s, npages, fd >= 0 ? disk : "none",
           (unsigned long long)nslots);
  say(line);

  while (!want_exit) {
    double t = now_s();
    /* Memory: catch up with the pace, never by more than 100 ms of backlog. */
    if (npages && rate_pages > 0) {
      uint64_t due = (uint64_t)((t - pace_base) * rate_pages);
      if (due > pace_done + rate_pages / 10) { pace_done = due - (uint64_t)(rate_pages / 10); }
      for (; pace_done < due; pace_done++) {
        uint32_t g = ++gen[cursor];
        mem[cursor * (PAGE / 8)] = ((uint64_t)g << 32) | cursor;
        if (++cursor == npages) cursor = 0;
        dirtied_total++;
        dirtied_window++;
      }
    }
    /* Disk: one block per op, acknowledged only once the write returned. */
    if (fd >= 0 && disk_ops_s > 0) {
      uint64_t due = (uint64_t)((t - disk_base) * disk_ops_s);
      if (due > disk_done + 5) disk_done = due - 5;
      while (disk_done < due && !want_exit) {
        uint64_t s = seq + 1, slot = s % nslots;
        fill_block(blk, s, slot);
        if (pwrite(fd, blk, BLOCK, (off_t)(slot * BLOCK)) != (ssize_t)BLOCK) {
          snprintf(line, sizeof line, "DIRTIER disk write error seq=%llu: %s\n", (unsigned long long)s, strerror(errno));
          say(line);
          break;
        }
        seq = s;
        disk_done++;
        disk_window++;
      }
    }
    if ((t - last_report) * 1000 >= report_ms) {
      long total, avail;
      unsigned long long cb, ca;
      meminfo(&total, &avail);
      cpu_ticks(&cb, &ca);
      double dt = t - last_report;
      double busy = ca > ca0 ? 100.0 * (cb - cb0) / (ca - ca0) : 0;
      snprintf(line, sizeof line,
               "STAT t_ms=%.0f dirty_mib_s=%.1f dirty_pages=%llu ws_mib=%.0f target_mib_s=%.1f disk_seq=%llu disk_ops_s=%.1f mem_total_kib=%ld mem_avail_kib=%ld cpu_busy_pct=%.1f\n",
               (t - t0) * 1000, dirtied_window * PAGE / dt / 1048576.0, (unsigned long long)dirtied_total, ws_mib, rate_mib_s, (unsigned long long)seq, disk_window / dt,
               total, avail, busy);
      say(line);
      int sf = open(stat_file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (sf >= 0) {
        if (write(sf, line, strlen(line)) < 0) { /* best effort */ }
        close(sf);
      }
      last_report = t;
      dirtied_window = disk_window = 0;
      cb0 = cb;
      ca0 = ca;
    }
    if (want_verify) {
      want_verify = 0;
      char id[64] = "0";
      FILE *f = fopen("/tmp/verify.id", "r");
      if (f) {
        if (!fgets(id, sizeof id, f)) strcpy(id, "0");
        fclose(f);
        id[strcspn(id, "\r\n ")] = 0;
      }
      uint64_t mem_bad = 0, disk_bad = 0, blocks = 0;
      for (size_t p = 0; p < npages; p++)
        if (mem[p * (PAGE / 8)] != (((uint64_t)gen[p] << 32) | p)) mem_bad++;
      if (fd >= 0) {
        /* The latest acknowledged write of each slot: seqs seq-n+1 .. seq (those > 0). */
        uint64_t first = seq >= nslots ? seq - nslots + 1 : 1;
        for (uint64_t s = first; s <= seq; s += 64) {
          uint64_t k = seq - s + 1 < 64 ? seq - s + 1 : 64;
          /* Contiguous slots unless the run wraps: read block by block then. */
          for (uint64_t j = 0; j < k; j++) {
            uint64_t ss = s + j, slot = ss % nslots;
            if (pread(fd, blk, BLOCK, (off_t)(slot * BLOCK)) != (ssize_t)BLOCK || !check_block(blk, ss, slot)) disk_bad++;
            blocks++;
          }
        }
      }
      snprintf(line, sizeof line, "RESULT-%s mem=%s mem_bad=%llu mem_pages=%zu disk=%s disk_bad=%llu disk_blocks=%llu disk_seq=%llu\n", id, mem_bad ? "FAIL" : "ok",
               (unsigned long long)mem_bad, npages, fd < 0 ? "none" : disk_bad ? "FAIL" : "ok", (unsigned long long)disk_bad, (unsigned long long)blocks,
               (unsigned long long)seq);
      say(line);
      /* Do not make up for the pause. */
      double t2 = now_s();
      pace_base += t2 - t;
      disk_base += t2 - t;
    }
    struct timespec nap = {0, 2 * 1000 * 1000};
    nanosleep(&nap, NULL);
  }
  say("DIRTIER exit\n");
  return 0;
}

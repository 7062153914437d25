/*
 * dirtier: the lab guest's workload and witness.
 *
 * - Fills a pattern region of max(--ws-mib, --verify-mib) MiB before it reports ready: every 4 KiB
 *   page is a deterministic pattern of its page index (words 1..511), and word 0 holds
 *   (generation << 32 | page index).
 * - Dirties the first --ws-mib MiB of it at --rate-mib-s MiB/s: one 8-byte store (word 0, the next
 *   generation) per page, round robin, paced every few ms. A separate array remembers every page's
 *   generation, so a store lost by a live migration shows up, and so does any other changed byte.
 * - Writes a ring of --disk-blocks checksummed 4 KiB blocks to --disk (O_DIRECT|O_DSYNC) before it
 *   reports ready, then keeps rewriting it at --disk-ops-s blocks/s; it remembers the last
 *   acknowledged sequence number, so it knows what every block of the ring must hold.
 * - Disk load (--dl-iops > 0): --dl-qd threads write 4 KiB blocks at random offsets of a region of
 *   --dl-region-mib MiB placed after the ring (1 MiB aligned), --dl-iops writes/s in all, each write
 *   O_DIRECT (--dl-mode direct) or buffered and followed by fdatasync (--dl-mode fsync). Each thread owns
 *   the blocks b with b % qd == its index, so no two writes to one block are ever in flight; a block's
 *   last acknowledged sequence number is remembered, so the check knows what every written block holds.
 *   Per phase (before / during / after the migration, switched by the host) it keeps the count, the
 *   bytes and every write's latency (guest clock), and reports IOPS, MiB/s, mean, p99 and max latency.
 * - SIGHUP: read <--control-dir>/dl.ctl: `phase before|during|after` starts that phase (its counters
 *   from zero) and prints `DLPHASE <name>`; `report <id>` prints `DISKLOAD-<id> ...` with the three phases.
 * - Prints one `STAT ...` line every --report-ms (and writes it to --stat-file for httpd's CGI):
 *   measured dirty rate, disk sequence, guest RAM total/available, CPU busy.
 * - SIGUSR1: pause, verify every byte of every page of the region and every block of the ring
 *   (read back with O_DIRECT, so through the hypervisor to the storage), print
 *   `RESULT-<id> mem=ok|FAIL mem_bad=N mem_pages=N disk=ok|FAIL|none disk_bad=N disk_blocks=N ...`
 *   (id read from <--control-dir>/verify.id, default /tmp), resume.
 * - SIGUSR2 (a test hook, to show that the check can fail): flip one bit in the middle of the page
 *   whose index is in <--control-dir>/corrupt.page, without telling the checker.
 * - SIGTERM/SIGINT: exit.
 *
 * Static, no dependencies: gcc -static -O2 -o dirtier dirtier.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <pthread.h>
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

static volatile sig_atomic_t want_verify = 0, want_exit = 0, want_corrupt = 0, want_ctl = 0;
static void on_usr1(int s) { (void)s; want_verify = 1; }
static void on_hup(int s) { (void)s; want_ctl = 1; }
static void on_usr2(int s) { (void)s; want_corrupt = 1; }
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

/* Word k (1..511) of page p: a pattern of p and k alone, cheap to recompute (no dependency chain). */
static inline uint64_t page_word(uint64_t p, uint64_t k) {
  return (p + 1) * 0x9E3779B97F4A7C15ULL ^ k * 0xD6E8FEB86659FD93ULL;
}

static void fill_page(uint64_t *w, uint64_t p) {
  w[0] = p; /* generation 0 */
  for (uint64_t k = 1; k < PAGE / 8; k++) w[k] = page_word(p, k);
}

static int check_page(const uint64_t *w, uint64_t p, uint32_t g) {
  uint64_t diff = w[0] ^ (((uint64_t)g << 32) | p);
  for (uint64_t k = 1; k < PAGE / 8; k++) diff |= w[k] ^ page_word(p, k);
  return diff == 0;
}

static double ms_since(double t) { return (now_s() - t) * 1000; }

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

static void say(const char *line);

/* ---- Disk load: random 4 KiB writes by --dl-qd threads, verified afterwards, timed per phase. ---- */
#define DL_PHASES 3
static const char *const dl_phase_names[DL_PHASES] = {"before", "during", "after"};
#define DL_MAX_SAMPLES 400000

struct dl_phase_stat {
  uint64_t n;
  double lat_sum_s, lat_max_s, t_start;
  double *lat; /* every write's latency, seconds (up to DL_MAX_SAMPLES) */
  size_t nlat;
};

static struct {
  int on, fd, fsync_mode, qd;
  double iops;
  uint64_t first_block, nblocks;
  uint64_t *gen; /* last acknowledged seq of each block of the region (0: never written) */
  uint64_t seq, errors;
  int phase, pause, paused;
  pthread_mutex_t mu;
  struct dl_phase_stat st[DL_PHASES];
} dl = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void dl_phase_start(int ph) {
  pthread_mutex_lock(&dl.mu);
  struct dl_phase_stat *p = &dl.st[ph];
  p->n = 0;
  p->nlat = 0;
  p->lat_sum_s = p->lat_max_s = 0;
  p->t_start = now_s();
  if (!p->lat) p->lat = malloc(DL_MAX_SAMPLES * sizeof *p->lat);
  dl.phase = ph;
  pthread_mutex_unlock(&dl.mu);
}

static void dl_record(double lat) {
  pthread_mutex_lock(&dl.mu);
  struct dl_phase_stat *p = &dl.st[dl.phase];
  p->n++;
  p->lat_sum_s += lat;
  if (lat > p->lat_max_s) p->lat_max_s = lat;
  if (p->lat && p->nlat < DL_MAX_SAMPLES) p->lat[p->nlat++] = lat;
  pthread_mutex_unlock(&dl.mu);
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static void dl_nap(double s) {
  struct timespec ts = {(time_t)s, (long)((s - (time_t)s) * 1e9)};
  nanosleep(&ts, NULL);
}

static void *dl_thread(void *arg) {
  int t = (int)(intptr_t)arg;
  unsigned char *b = NULL;
  if (posix_memalign((void **)&b, BLOCK, BLOCK)) return NULL;
  uint64_t owned = (dl.nblocks - t + dl.qd - 1) / dl.qd; /* blocks t, t+qd, t+2qd, ... */
  uint64_t x = 0x9E3779B97F4A7C15ULL * (uint64_t)(t + 1) ^ (uint64_t)(now_s() * 1e6);
  double period = dl.qd / dl.iops, next = now_s() + period * t / dl.qd;
  while (!want_exit && owned) {
    if (__atomic_load_n(&dl.pause, __ATOMIC_ACQUIRE)) {
      __atomic_add_fetch(&dl.paused, 1, __ATOMIC_ACQ_REL);
      while (__atomic_load_n(&dl.pause, __ATOMIC_ACQUIRE) && !want_exit) dl_nap(0.001);
      __atomic_sub_fetch(&dl.paused, 1, __ATOMIC_ACQ_REL);
      next = now_s(); /* do not make up for the pause */
      continue;
    }
    double t0 = now_s();
    if (t0 < next) {
      dl_nap(next - t0 < 0.005 ? next - t0 : 0.005);
      continue;
    }
    x ^= x << 13; x ^= x >> 7; x ^= x << 17;
    uint64_t i = (uint64_t)t + (x % owned) * (uint64_t)dl.qd, block = dl.first_block + i;
    uint64_t s = __atomic_add_fetch(&dl.seq, 1, __ATOMIC_ACQ_REL);
    fill_block(b, s, block);
    t0 = now_s();
    int ok = pwrite(dl.fd, b, BLOCK, (off_t)(block * BLOCK)) == (ssize_t)BLOCK && (!dl.fsync_mode || fdatasync(dl.fd) == 0);
    double lat = now_s() - t0;
    if (ok) {
      __atomic_store_n(&dl.gen[i], s, __ATOMIC_RELEASE);
      dl_record(lat);
    } else {
      __atomic_add_fetch(&dl.errors, 1, __ATOMIC_ACQ_REL);
    }
    next += period;
    if (now_s() - next > 1.0) next = now_s(); /* more than a second behind: do not burst */
  }
  free(b);
  return NULL;
}

/* Stops the writers between two writes (for the check) and lets them go again. */
static void dl_pause_all(int on) {
  if (!dl.on) return;
  __atomic_store_n(&dl.pause, on, __ATOMIC_RELEASE);
  if (on)
    while (__atomic_load_n(&dl.paused, __ATOMIC_ACQUIRE) < dl.qd && !want_exit) dl_nap(0.001);
}

static void dl_report(const char *id) {
  char out[2048];
  int k = snprintf(out, sizeof out, "DISKLOAD-%s mode=%s qd=%d target_iops=%.0f region_blocks=%llu errors=%llu", id, dl.fsync_mode ? "fsync" : "direct", dl.qd,
                   dl.iops, (unsigned long long)dl.nblocks, (unsigned long long)__atomic_load_n(&dl.errors, __ATOMIC_ACQUIRE));
  pthread_mutex_lock(&dl.mu);
  double t = now_s();
  for (int ph = 0; ph < DL_PHASES; ph++) {
    struct dl_phase_stat *p = &dl.st[ph];
    /* A phase lasts until the next one started (or now, for the current one). */
    double end = ph < dl.phase ? dl.st[ph + 1].t_start : t;
    double secs = ph <= dl.phase && p->t_start > 0 ? end - p->t_start : 0;
    double p99 = 0;
    if (p->nlat) {
      qsort(p->lat, p->nlat, sizeof *p->lat, cmp_double);
      size_t r = (size_t)((p->nlat * 99 + 99) / 100); /* nearest rank */
      p99 = p->lat[(r ? r : 1) - 1];
    }
    const char *nm = dl_phase_names[ph];
    k += snprintf(out + k, sizeof out - k, " %s_s=%.3f %s_n=%llu %s_iops=%.1f %s_mib_s=%.3f %s_lat_mean_ms=%.3f %s_lat_p99_ms=%.3f %s_lat_max_ms=%.3f", nm, secs, nm,
                  (unsigned long long)p->n, nm, secs > 0 ? p->n / secs : 0, nm, secs > 0 ? p->n * BLOCK / secs / 1048576.0 : 0, nm,
                  p->n ? p->lat_sum_s / p->n * 1000 : 0, nm, p99 * 1000, nm, p->lat_max_s * 1000);
  }
  pthread_mutex_unlock(&dl.mu);
  snprintf(out + k, sizeof out - k, "\n");
  say(out);
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
  double ws_mib = 0, verify_mib = 0, rate_mib_s = 0, disk_ops_s = 20;
  long disk_blocks = 256;
  long report_ms = 1000;
  double dl_iops = 0, dl_region_mib = 16;
  int dl_qd = 1;
  const char *dl_mode = "direct";
  double t_start = now_s();
  const char *disk = NULL, *stat_file = "/tmp/stat", *control_dir = "/tmp";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--ws-mib")) ws_mib = atof(argv[i + 1]);
    else if (!strcmp(argv[i], "--verify-mib")) verify_mib = atof(argv[i + 1]);
    else if (!strcmp(argv[i], "--disk-blocks")) disk_blocks = atol(argv[i + 1]);
    else if (!strcmp(argv[i], "--rate-mib-s")) rate_mib_s = atof(argv[i + 1]);
    else if (!strcmp(argv[i], "--disk")) disk = argv[i + 1];
    else if (!strcmp(argv[i], "--disk-ops-s")) disk_ops_s = atof(argv[i + 1]);
    else if (!strcmp(argv[i], "--report-ms")) report_ms = atol(argv[i + 1]);
    else if (!strcmp(argv[i], "--dl-iops")) dl_iops = atof(argv[i + 1]);
    else if (!strcmp(argv[i], "--dl-qd")) dl_qd = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--dl-mode")) dl_mode = argv[i + 1];
    else if (!strcmp(argv[i], "--dl-region-mib")) dl_region_mib = atof(argv[i + 1]);
    else if (!strcmp(argv[i], "--stat-file")) stat_file = argv[i + 1];
    else if (!strcmp(argv[i], "--control-dir")) control_dir = argv[i + 1]; /* where verify.id and corrupt.page are read */
    else { fprintf(stderr, "dirtier: unknown option %s\n", argv[i]); return 2; }
  }
  signal(SIGUSR1, on_usr1);
  signal(SIGTERM, on_term);
  signal(SIGINT, on_term);
  signal(SIGUSR2, on_usr2);
  signal(SIGHUP, on_hup);

  size_t ws_pages = (size_t)(ws_mib * 1024 * 1024 / PAGE);
  size_t npages = (size_t)(verify_mib * 1024 * 1024 / PAGE);
  if (npages < ws_pages) npages = ws_pages;
  uint64_t *mem = NULL;
  uint32_t *gen = NULL;
  if (npages) {
    mem = mmap(NULL, npages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    gen = calloc(npages, sizeof *gen);
    if (mem == MAP_FAILED || !gen) { say("DIRTIER error: cannot allocate the working set\n"); return 1; }
    for (size_t p = 0; p < npages; p++) fill_page(mem + p * (PAGE / 8), p);
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
      if (disk_blocks > 0 && (uint64_t)disk_blocks < nslots) nslots = (uint64_t)disk_blocks;
      /* The whole ring once, 64 blocks per write: seq 1..nslots in slots 0..nslots-1. */
      for (uint64_t s0 = 1; s0 <= nslots; s0 += 64) {
        uint64_t k = nslots - s0 + 1 < 64 ? nslots - s0 + 1 : 64;
        for (uint64_t j = 0; j < k; j++) fill_block(blk + j * BLOCK, s0 + j, s0 + j - 1);
        if (pwrite(fd, blk, k * BLOCK, (off_t)((s0 - 1) * BLOCK)) != (ssize_t)(k * BLOCK)) {
          char m[256];
          snprintf(m, sizeof m, "DIRTIER error: cannot write the disk ring at block %llu: %s\n", (unsigned long long)(s0 - 1), strerror(errno));
          say(m);
          close(fd);
          fd = -1;
          nslots = 0;
          break;
        }
        seq = s0 + k - 1;
      }
    }
  }

  /* The disk load, after the ring, 1 MiB aligned, within the disk. */
  if (fd >= 0 && dl_iops > 0) {
    uint64_t bytes = 0;
    struct stat st;
    if (ioctl(fd, BLKGETSIZE64, &bytes) < 0 && fstat(fd, &st) == 0) bytes = (uint64_t)st.st_size;
    dl.first_block = (nslots + 255) / 256 * 256;
    dl.nblocks = (uint64_t)(dl_region_mib * 1048576 / BLOCK);
    dl.qd = dl_qd < 1 ? 1 : dl_qd;
    dl.iops = dl_iops;
    dl.fsync_mode = !strcmp(dl_mode, "fsync");
    dl.fd = open(disk, dl.fsync_mode ? O_RDWR : O_RDWR | O_DIRECT);
    dl.gen = calloc(dl.nblocks ? dl.nblocks : 1, sizeof *dl.gen);
    if (dl.fd < 0 || !dl.gen || (dl.first_block + dl.nblocks) * BLOCK > bytes || dl.nblocks < (uint64_t)dl.qd) {
      char m[256];
      snprintf(m, sizeof m, "DIRTIER error: no disk load: region of %llu blocks after block %llu does not fit the disk (%llu bytes) or cannot open it\n",
               (unsigned long long)dl.nblocks, (unsigned long long)dl.first_block, (unsigned long long)bytes);
      say(m);
    } else {
      dl.on = 1;
      dl_phase_start(0);
      for (int t = 0; t < dl.qd; t++) {
        pthread_t th;
        if (pthread_create(&th, NULL, dl_thread, (void *)(intptr_t)t) == 0) pthread_detach(th);
      }
    }
  }

  double rate_pages = rate_mib_s * 1024 * 1024 / PAGE;
  double t0 = now_s(), last_report = t0, pace_base = t0, disk_base = t0;
  uint64_t dirtied_total = 0, dirtied_window = 0, pace_done = 0, disk_done = 0, disk_window = 0;
  size_t cursor = 0;
  unsigned long long cb0, ca0;
  cpu_ticks(&cb0, &ca0);
  char line[1024];
  snprintf(line, sizeof line, "DIRTIER start ws_mib=%.0f rate_mib_s=%.1f pages=%zu ws_pages=%zu disk=%s slots=%llu fill_ms=%.0f dl_iops=%.0f dl_qd=%d dl_mode=%s\n", ws_mib, rate_mib_s, npages,
           ws_pages, fd >= 0 ? disk : "none", (unsigned long long)nslots, ms_since(t_start), dl.on ? dl.iops : 0, dl.on ? dl.qd : 0, dl.on ? (dl.fsync_mode ? "fsync" : "direct") : "none");
  say(line);

  while (!want_exit) {
    double t = now_s();
    /* Memory: catch up with the pace, never by more than 100 ms of backlog. */
    if (ws_pages && rate_pages > 0) {
      uint64_t due = (uint64_t)((t - pace_base) * rate_pages);
      if (due > pace_done + rate_pages / 10) { pace_done = due - (uint64_t)(rate_pages / 10); }
      for (; pace_done < due; pace_done++) {
        uint32_t g = ++gen[cursor];
        mem[cursor * (PAGE / 8)] = ((uint64_t)g << 32) | cursor;
        if (++cursor == ws_pages) cursor = 0;
        dirtied_total++;
        dirtied_window++;
      }
    }
    /* Disk: one block per op, acknowledged only once the write returned. */
    if (fd >= 0 && disk_ops_s > 0) {
      uint64_t due = (uint64_t)((t - disk_base) * disk_ops_s);
      if (due > disk_done + 5) disk_done = due - 5;
      while (disk_done < due && !want_exit) {
        uint64_t s = seq + 1, slot = (s - 1) % nslots;
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
      char path[512];
      snprintf(path, sizeof path, "%s/verify.id", control_dir);
      FILE *f = fopen(path, "r");
      if (f) {
        if (!fgets(id, sizeof id, f)) strcpy(id, "0");
        fclose(f);
        id[strcspn(id, "\r\n ")] = 0;
      }
      uint64_t mem_bad = 0, disk_bad = 0, blocks = 0, first_bad_page = 0, first_bad_slot = 0, dl_bad = 0, dl_blocks = 0, first_bad_dl = 0;
      dl_pause_all(1);
      double tm = now_s();
      for (size_t p = 0; p < npages; p++)
        if (!check_page(mem + p * (PAGE / 8), p, gen[p]) && mem_bad++ == 0) first_bad_page = p;
      double mem_ms = ms_since(tm), td = now_s();
      if (fd >= 0) {
        /* Slot i holds the latest acknowledged seq s with (s - 1) % nslots == i (seq >= nslots since the ring was filled). */
        uint64_t last_slot = (seq - 1) % nslots;
        for (uint64_t s0 = 0; s0 < nslots; s0 += 64) {
          uint64_t k = nslots - s0 < 64 ? nslots - s0 : 64;
          int got = pread(fd, blk, k * BLOCK, (off_t)(s0 * BLOCK)) == (ssize_t)(k * BLOCK);
          for (uint64_t j = 0; j < k; j++) {
            uint64_t slot = s0 + j, want = seq - (last_slot + nslots - slot) % nslots;
            if ((!got || !check_block(blk + j * BLOCK, want, slot)) && disk_bad++ == 0) first_bad_slot = slot;
            blocks++;
          }
        }
      }
      /* The disk load's region: every block written at least once, read back through the hypervisor. */
      double tl = now_s();
      if (dl.on && fd >= 0) {
        for (uint64_t s0 = 0; s0 < dl.nblocks; s0 += 64) {
          uint64_t k = dl.nblocks - s0 < 64 ? dl.nblocks - s0 : 64, any = 0;
          for (uint64_t j = 0; j < k; j++) any |= dl.gen[s0 + j];
          if (!any) continue;
          int got = pread(fd, blk, k * BLOCK, (off_t)((dl.first_block + s0) * BLOCK)) == (ssize_t)(k * BLOCK);
          for (uint64_t j = 0; j < k; j++) {
            uint64_t want = dl.gen[s0 + j];
            if (!want) continue;
            if ((!got || !check_block(blk + j * BLOCK, want, dl.first_block + s0 + j)) && dl_bad++ == 0) first_bad_dl = dl.first_block + s0 + j;
            dl_blocks++;
          }
        }
      }
      double dl_ms = ms_since(tl);
      dl_pause_all(0);
      snprintf(line, sizeof line,
               "RESULT-%s dl=%s dl_bad=%llu dl_blocks=%llu first_bad_dl_block=%lld dl_ms=%.0f mem=%s mem_bad=%llu mem_pages=%zu first_bad_page=%lld mem_ms=%.0f disk=%s disk_bad=%llu disk_blocks=%llu first_bad_block=%lld disk_ms=%.0f disk_seq=%llu\n", id,
               !dl.on ? "none" : dl_bad ? "FAIL" : "ok", (unsigned long long)dl_bad, (unsigned long long)dl_blocks, dl_bad ? (long long)first_bad_dl : -1LL, dl_ms,
               mem_bad ? "FAIL" : "ok", (unsigned long long)mem_bad, npages, mem_bad ? (long long)first_bad_page : -1LL, mem_ms, fd < 0 ? "none" : disk_bad ? "FAIL" : "ok",
               (unsigned long long)disk_bad, (unsigned long long)blocks, disk_bad ? (long long)first_bad_slot : -1LL, ms_since(td), (unsigned long long)seq);
      say(line);
      /* Do not make up for the pause. */
      double t2 = now_s();
      pace_base += t2 - t;
      disk_base += t2 - t;
    }
    if (want_ctl) {
      want_ctl = 0;
      char cmd[128] = "", arg[64] = "", path[512];
      snprintf(path, sizeof path, "%s/dl.ctl", control_dir);
      FILE *f = fopen(path, "r");
      if (f) {
        if (fscanf(f, "%127s %63s", cmd, arg) < 1) cmd[0] = 0;
        fclose(f);
      }
      if (!strcmp(cmd, "report")) {
        if (dl.on) dl_report(arg);
        else {
          snprintf(line, sizeof line, "DISKLOAD-%s none\n", arg);
          say(line);
        }
      } else if (!strcmp(cmd, "phase")) {
        int ph = -1;
        for (int i = 0; i < DL_PHASES; i++)
          if (!strcmp(arg, dl_phase_names[i])) ph = i;
        if (ph >= 0 && dl.on) dl_phase_start(ph);
        snprintf(line, sizeof line, "DLPHASE %s %s\n", arg, ph < 0 ? "unknown" : dl.on ? "ok" : "none");
        say(line);
      }
    }
    if (want_corrupt) {
      want_corrupt = 0;
      long long p = -1;
      char path[512];
      snprintf(path, sizeof path, "%s/corrupt.page", control_dir);
      FILE *f = fopen(path, "r");
      if (f) {
        if (fscanf(f, "%lld", &p) != 1) p = -1;
        fclose(f);
      }
      if (p >= 0 && (size_t)p < npages) {
        mem[p * (PAGE / 8) + 300] ^= 1ULL << 17; /* one bit in the middle of the page, not the generation word */
        snprintf(line, sizeof line, "CORRUPTED page=%lld\n", p);
      } else {
        snprintf(line, sizeof line, "CORRUPTED none: page %lld is not in 0..%zu\n", p, npages);
      }
      say(line);
    }
    struct timespec nap = {0, 2 * 1000 * 1000};
    nanosleep(&nap, NULL);
  }
  say("DIRTIER exit\n");
  return 0;
}

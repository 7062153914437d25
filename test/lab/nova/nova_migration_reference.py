# Nova's live-migration schedule, copied from openstack/nova (Apache-2.0, Copyright (c) 2016 Red Hat, Inc),
# nova/virt/libvirt/migration.py at 00a030403f672b975364c855b7d25b40ef83e757: downtime_steps(),
# should_trigger_timeout_action() and the step choice of update_downtime(); and data_gb and the completion
# timeout from nova/virt/libvirt/driver.py (_live_migration_data_gb, _live_migration_monitor).
# Only CONF.libvirt.* became parameters and the logging went; the arithmetic is unchanged.
# Used by test/lab/nova-schedule.test.ts: reads JSON cases on stdin, prints JSON results.
import json
import sys


def downtime_steps(data_gb, downtime, steps, delay):
    delay = int(delay * data_gb)

    base = downtime / steps
    offset = (downtime - base) / steps

    for i in range(steps + 1):
        yield (int(delay * i), int(base + offset * i))


def should_trigger_timeout_action(elapsed, completion_timeout, migration_status):
    if not completion_timeout:
        return False

    if migration_status == 'running (post-copy)':
        return False

    if elapsed > completion_timeout:
        return True

    return False


def update_downtime_step(downtime_steps, elapsed):
    thisstep = None
    for step in downtime_steps:
        if elapsed > step[0]:
            thisstep = step
    return thisstep


def live_migration_data_gb(memory_mb):
    ram_gb = memory_mb * 1024 * 1024 / (1024 * 1024 * 1024)
    if ram_gb < 2:
        ram_gb = 2
    return ram_gb  # + disk_gb for block migration; no disk is copied on shared storage


out = []
for case in json.load(sys.stdin):
    data_gb = live_migration_data_gb(case['ram_mib'])
    steps = list(downtime_steps(data_gb, case['downtime_ms'], case['downtime_steps'], case['downtime_delay_s']))
    timeout = int(case['completion_timeout_s'] * data_gb)
    out.append({
        'data_gb': data_gb,
        'steps': steps,
        'completion_timeout_s': timeout,
        'at': [[e, update_downtime_step(steps, e), should_trigger_timeout_action(e, timeout, 'running')] for e in case['elapsed']],
    })
print(json.dumps(out))

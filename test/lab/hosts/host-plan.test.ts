import { HostPlanError, planHosts } from '../../../src/lab/hosts/host-plan.js';

describe('the container hosts address plan', () => {
  it('puts one controller at .10 and two computes at .20 and .21 by default, the bridge at .1', () => {
    const plan = planHosts();
    expect(plan.bridge).toBe('tbhbr0');
    expect(plan.bridgeIp).toBe('10.213.78.1');
    expect(plan.hosts.map((h) => [h.name, h.role, h.ip, h.hostLink])).toEqual([
      ['controller', 'controller', '10.213.78.10', 'tbh-ctl1'],
      ['compute-1', 'compute', '10.213.78.20', 'tbh-cmp1'],
      ['compute-2', 'compute', '10.213.78.21', 'tbh-cmp2'],
    ]);
  });

  it('names three controllers controller-1..3 without moving the computes', () => {
    const plan = planHosts({ controllers: 3, cidr: '10.1.2.0/24', prefix: 'x' });
    expect(plan.hosts.map((h) => `${h.name}=${h.ip}`)).toEqual([
      'controller-1=10.1.2.10',
      'controller-2=10.1.2.11',
      'controller-3=10.1.2.12',
      'compute-1=10.1.2.20',
      'compute-2=10.1.2.21',
    ]);
  });

  it('takes the network of a range given by any address in it', () => {
    expect(planHosts({ cidr: '10.9.8.77/24' }).bridgeIp).toBe('10.9.8.1');
  });

  it('fails with every problem at once, each naming the key, the value and what is allowed', () => {
    expect(() => planHosts({ controllers: 2, computes: 0, bridge: 'a-bridge-name-too-long', prefix: 'Bad', cidr: '10.0.0.0/28' }))
      .toThrowErrorMatchingInlineSnapshot(`
      [HostPlanError: lab hosts: 5 problems in the host plan
        - cidr: too small for the plan (hosts up to .29); got 10.0.0.0/28; allowed: a prefix of /26 or wider
        - controllers: got 2; allowed: 1 or 3
        - computes: got 0; allowed: an integer from 1 to 9
        - bridge: got "a-bridge-name-too-long"; allowed: a link name of lower-case letters, digits and '-', at most 15 characters
        - prefix: got "Bad"; allowed: lower-case letters and digits, at most 10 characters]
    `);
    expect(() => planHosts({ cidr: '10.0.0/24' })).toThrow(HostPlanError);
  });
});

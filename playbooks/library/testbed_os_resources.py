#!/usr/bin/python3
# -*- coding: utf-8 -*-
"""Ansible module: the testbed's OpenStack resources, made idempotent in one process.

One keystoneauth1 session does what about 45 `openstack` CLI calls did (each CLI start costs 2-4 s
on two cores): the service project, the service users with the admin and service roles, the services and their
endpoints, then Nova's flavors and Cinder's volume types. Each section is optional, so the role
calls it once Keystone answers (identity) and again once Nova and Cinder do (resources).
"""

from __future__ import annotations

DOCUMENTATION = r"""
module: testbed_os_resources
short_description: Keystone catalog, service users, Nova flavors and Cinder volume types, idempotently
description:
  - Reads what exists and creates or corrects only what differs, through the APIs (keystoneauth1).
  - A service user whose password no longer authenticates gets the given password.
  - An endpoint with another URL is updated; a flavor with other sizes is replaced; a volume type
    whose volume_backend_name differs gets the given one.
  - In check mode nothing is written; when Keystone does not answer yet, everything is reported as
    to be created.
options:
  auth_url: {type: str, required: true, description: Keystone v3 URL, e.g. http://10.0.0.10:5000/v3}
  admin_password: {type: str, required: true, no_log: true, description: the admin user's password}
  region: {type: str, required: true}
  project: {type: str, default: service, description: the service project (created in domain default)}
  users:
    type: list
    elements: dict
    default: []
    description: "[{name, password}]: service users, each given the admin and service roles on the service project (service is created if missing)"
  services:
    type: list
    elements: dict
    default: []
    description: "[{name, type, description, url}]: a public, internal and admin endpoint each, all at url"
  flavors: {type: list, elements: dict, default: [], description: "[{name, vcpus, ram_mb, disk_gb}]"}
  volume_types: {type: list, elements: dict, default: [], description: "[{name, volume_backend_name}]"}
  compute_hosts:
    type: list
    elements: str
    default: []
    description: >-
      wait until each of these hosts has a nova-compute service that is enabled, up and reported
      after this call began (a stale heartbeat from before a restart does not count); never a change.
      Hypervisors are listed only once `nova-manage cell_v2 discover_hosts` has mapped their hosts.
  timeout: {type: int, default: 120, description: seconds to wait for each API to answer}
"""

import time

from ansible.module_utils.basic import AnsibleModule

try:
    from keystoneauth1 import exceptions as ks_exc
    from keystoneauth1 import session as ks_session
    from keystoneauth1.identity import v3

    HAS_KEYSTONEAUTH = True
except ImportError:  # pragma: no cover - reported by the module
    HAS_KEYSTONEAUTH = False

INTERFACES = ("public", "internal", "admin")
# The roles each service user gets on the service project (see Resources.users).
SERVICE_USER_ROLES = ("admin", "service")
# Debian runs the APIs under uwsgi with --http-socket, which resets a connection now and then.
RETRY = {"connect_retries": 5, "status_code_retries": 5, "retriable_status_codes": [502, 503, 504]}


class Resources:
    def __init__(self, module):
        self.m = module
        self.p = module.params
        self.check = module.check_mode
        self.changes = []
        self.began = time.time() - 1
        auth = v3.Password(
            auth_url=self.p["auth_url"],
            username="admin",
            password=self.p["admin_password"],
            project_name="admin",
            user_domain_id="default",
            project_domain_id="default",
        )
        self.s = ks_session.Session(auth=auth, timeout=60)

    # -- HTTP ----------------------------------------------------------------------------------
    def call(self, method, path, service="identity", json=None, ok=(200, 201, 202, 204), **kw):
        r = self.s.request(
            path,
            method,
            json=json,
            endpoint_filter={"service_type": service, "interface": "public", "region_name": self.p["region"]},
            raise_exc=False,
            **RETRY,
            **kw,
        )
        if r.status_code not in ok:
            self.m.fail_json(msg="%s %s (%s): HTTP %s %s" % (method, path, service, r.status_code, r.text[:400]), changes=self.changes)
        return r.json() if r.content and r.headers.get("Content-Type", "").startswith("application/json") else {}

    def has(self, path):
        """Whether Keystone answers a HEAD of path with 204 (404: no), retried as every call is."""
        r = self.s.request(
            path,
            "HEAD",
            endpoint_filter={"service_type": "identity", "interface": "public", "region_name": self.p["region"]},
            raise_exc=False,
            **RETRY,
        )
        if r.status_code not in (200, 204, 404):
            self.m.fail_json(msg="HEAD %s (identity): HTTP %s" % (path, r.status_code), changes=self.changes)
        return r.status_code != 404

    def wait_for(self, service, path):
        """Wait until the service answers (Keystone's catalog can list it before it listens)."""
        deadline = time.time() + self.p["timeout"]
        last = None
        while time.time() < deadline:
            try:
                r = self.s.request(
                    path, "GET", raise_exc=False, endpoint_filter={"service_type": service, "interface": "public", "region_name": self.p["region"]}
                )
                if r.status_code < 500:
                    return True
                last = "HTTP %s" % r.status_code
            except (ks_exc.ConnectFailure, ks_exc.ConnectionError, ks_exc.DiscoveryFailure) as e:
                last = str(e)
            time.sleep(2)
        self.m.fail_json(msg="%s did not answer within %s s: %s" % (service, self.p["timeout"], last), changes=self.changes)

    def change(self, what):
        self.changes.append(what)
        return not self.check

    # -- Identity ------------------------------------------------------------------------------
    def one(self, items, what):
        if len(items) > 1:
            self.m.fail_json(msg="more than one %s: %s" % (what, [i.get("id") for i in items]))
        return items[0] if items else None

    def project_id(self):
        name = self.p["project"]
        found = self.one(self.call("GET", "/projects?domain_id=default&name=%s" % name)["projects"], "project " + name)
        if found:
            return found["id"]
        if self.change("project %s" % name):
            body = {"project": {"name": name, "domain_id": "default", "description": "Service Project"}}
            return self.call("POST", "/projects", json=body)["project"]["id"]
        return None

    def password_works(self, name, password):
        auth = v3.Password(auth_url=self.p["auth_url"], username=name, password=password, user_domain_id="default")
        for attempt in range(5):
            try:
                ks_session.Session(auth=auth, timeout=30).get_token()
                return True
            except ks_exc.Unauthorized:
                return False
            except ks_exc.ConnectFailure:  # uwsgi's reset now and then, as RETRY covers for the calls
                if attempt == 4:
                    raise
                time.sleep(1)
        return False

    def role(self, name, create):
        """The role's id; a missing one is created when `create` (None in check mode)."""
        found = self.one(self.call("GET", "/roles?name=%s" % name)["roles"], "role " + name)
        if found:
            return found["id"]
        if not create:
            self.m.fail_json(msg="Keystone has no role %s: was keystone-manage bootstrap run?" % name)
        if self.change("role %s" % name):
            return self.call("POST", "/roles", json={"role": {"name": name}})["role"]["id"]
        return None

    def users(self, project_id):
        if not self.p["users"]:
            return
        # admin: what the services' policies expect of their own users. service: Cinder refuses
        # Nova's detach of an attachment Nova uses (OSSA-2023-003) unless the request carries a
        # service token whose roles include [keystone_authtoken] service_token_roles (default
        # "service"); keystone-manage bootstrap makes only admin, member and reader.
        roles = {name: self.role(name, create=(name != "admin")) for name in SERVICE_USER_ROLES}
        for u in self.p["users"]:
            found = self.one(self.call("GET", "/users?domain_id=default&name=%s" % u["name"])["users"], "user " + u["name"])
            if not found:
                if self.change("user %s" % u["name"]):
                    body = {"user": {"name": u["name"], "domain_id": "default", "password": u["password"], "enabled": True}}
                    found = self.call("POST", "/users", json=body)["user"]
            elif not self.password_works(u["name"], u["password"]):
                if self.change("password of user %s" % u["name"]):
                    self.call("PATCH", "/users/%s" % found["id"], json={"user": {"password": u["password"]}})
            for name, role_id in roles.items():
                what = "%s role of %s on %s" % (name, u["name"], self.p["project"])
                if not found or not project_id or not role_id:
                    self.change(what)
                    continue
                path = "/projects/%s/users/%s/roles/%s" % (project_id, found["id"], role_id)
                if not self.has(path) and self.change(what):
                    self.call("PUT", path)

    def services(self):
        region = self.p["region"]
        for svc in self.p["services"]:
            found = [s for s in self.call("GET", "/services?type=%s" % svc["type"])["services"] if s["name"] == svc["name"]]
            service = self.one(found, "service " + svc["name"])
            if not service:
                if not self.change("service %s (%s)" % (svc["name"], svc["type"])):
                    self.changes.extend("%s endpoint of %s" % (i, svc["name"]) for i in INTERFACES)
                    continue
                body = {"service": {"name": svc["name"], "type": svc["type"], "description": svc.get("description", ""), "enabled": True}}
                service = self.call("POST", "/services", json=body)["service"]
            endpoints = self.call("GET", "/endpoints?service_id=%s&region_id=%s" % (service["id"], region))["endpoints"]
            for interface in INTERFACES:
                have = [e for e in endpoints if e["interface"] == interface]
                if not have:
                    if self.change("%s endpoint of %s" % (interface, svc["name"])):
                        body = {"endpoint": {"service_id": service["id"], "interface": interface, "url": svc["url"], "region_id": region, "enabled": True}}
                        self.call("POST", "/endpoints", json=body)
                elif have[0]["url"] != svc["url"]:
                    if self.change("%s endpoint of %s: %s -> %s" % (interface, svc["name"], have[0]["url"], svc["url"])):
                        self.call("PATCH", "/endpoints/%s" % have[0]["id"], json={"endpoint": {"url": svc["url"]}})

    # -- Compute and block storage ----------------------------------------------------------------
    def flavors(self):
        if not self.p["flavors"]:
            return
        self.wait_for("compute", "/flavors")
        have = {f["name"]: f for f in self.call("GET", "/flavors/detail?is_public=None", service="compute")["flavors"]}
        for f in self.p["flavors"]:
            want = {"name": f["name"], "vcpus": int(f["vcpus"]), "ram": int(f["ram_mb"]), "disk": int(f["disk_gb"])}
            cur = have.get(f["name"])
            if cur and (cur["vcpus"], cur["ram"], cur["disk"]) == (want["vcpus"], want["ram"], want["disk"]):
                continue
            if cur:
                # A flavor's sizes cannot change: replace it (running servers keep their embedded copy).
                if not self.change("flavor %s: %s/%s/%s -> %s/%s/%s" % (f["name"], cur["vcpus"], cur["ram"], cur["disk"], want["vcpus"], want["ram"], want["disk"])):
                    continue
                self.call("DELETE", "/flavors/%s" % cur["id"], service="compute")
            elif not self.change("flavor %s" % f["name"]):
                continue
            self.call("POST", "/flavors", service="compute", json={"flavor": want})

    def volume_types(self):
        if not self.p["volume_types"]:
            return
        self.wait_for("volumev3", "/types")
        have = {t["name"]: t for t in self.call("GET", "/types", service="volumev3")["volume_types"]}
        for t in self.p["volume_types"]:
            specs = {"volume_backend_name": t["volume_backend_name"]}
            cur = have.get(t["name"])
            if not cur:
                if self.change("volume type %s" % t["name"]):
                    self.call("POST", "/types", service="volumev3", json={"volume_type": {"name": t["name"], "extra_specs": specs}})
            elif (cur.get("extra_specs") or {}).get("volume_backend_name") != t["volume_backend_name"]:
                if self.change("volume type %s: volume_backend_name -> %s" % (t["name"], t["volume_backend_name"])):
                    self.call("POST", "/types/%s/extra_specs" % cur["id"], service="volumev3", json={"extra_specs": specs})


    def compute_services(self):
        hosts = self.p["compute_hosts"]
        if not hosts or self.check:
            return
        self.wait_for("compute", "/os-services")
        began = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(self.began))
        deadline = time.time() + self.p["timeout"]
        while True:
            services = self.call("GET", "/os-services?binary=nova-compute", service="compute")["services"]
            fresh = {
                s["host"]
                for s in services
                if s["state"] == "up" and s["status"] == "enabled" and (s.get("updated_at") or "")[:19] >= began
            }
            missing = [h for h in hosts if h not in fresh]
            if not missing:
                return
            if time.time() > deadline:
                seen = ["%s %s %s %s" % (s["host"], s["status"], s["state"], s.get("updated_at")) for s in services]
                self.m.fail_json(msg="nova-compute not up within %s s on %s; Nova has: %s" % (self.p["timeout"], missing, seen or "no nova-compute"))
            time.sleep(2)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            auth_url=dict(type="str", required=True),
            admin_password=dict(type="str", required=True, no_log=True),
            region=dict(type="str", required=True),
            project=dict(type="str", default="service"),
            users=dict(type="list", elements="dict", default=[], no_log=False),
            services=dict(type="list", elements="dict", default=[]),
            flavors=dict(type="list", elements="dict", default=[]),
            volume_types=dict(type="list", elements="dict", default=[]),
            compute_hosts=dict(type="list", elements="str", default=[]),
            timeout=dict(type="int", default=120),
        ),
        supports_check_mode=True,
    )
    if not HAS_KEYSTONEAUTH:
        module.fail_json(msg="keystoneauth1 is missing (Debian: python3-keystoneauth1, a dependency of python3-openstackclient)")
    for u in module.params["users"]:
        if u.get("password"):
            module.no_log_values.add(u["password"])
    r = Resources(module)
    try:
        r.s.get_token()
    except (ks_exc.ConnectFailure, ks_exc.ConnectionError, ks_exc.DiscoveryFailure) as e:
        if module.check_mode:
            module.exit_json(changed=True, changes=["everything: Keystone at %s does not answer yet (%s)" % (module.params["auth_url"], e)])
        module.fail_json(msg="Keystone at %s does not answer: %s" % (module.params["auth_url"], e))
    except ks_exc.Unauthorized:
        module.fail_json(msg="Keystone at %s refuses the admin password (keystone-manage bootstrap sets it)" % module.params["auth_url"])
    pid = r.project_id() if (module.params["users"] or module.params["services"]) else None
    r.users(pid)
    r.services()
    r.flavors()
    r.volume_types()
    r.compute_services()
    module.exit_json(changed=bool(r.changes), changes=r.changes)


if __name__ == "__main__":
    main()

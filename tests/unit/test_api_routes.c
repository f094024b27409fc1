// SPDX-License-Identifier: MIT
/* tests/unit/test_api_routes.c: path/method routing and the JSON schema checks shared by the API and the config file. */
#include <errno.h>
#include "harness.h"
#include "api/routes.h"
#include "api/schema.h"

static int route(const char *method, const char *path, const char *body, struct api_call *c,
		 char *why)
{
	struct http_request r;

	memset(&r, 0, sizeof(r));
	snprintf(r.method_name, sizeof(r.method_name), "%s", method);
	r.method = !strcmp(method, "GET") ? HTTP_GET : !strcmp(method, "PUT") ? HTTP_PUT
		 : !strcmp(method, "PATCH") ? HTTP_PATCH : HTTP_OTHER;
	snprintf(r.path, sizeof(r.path), "%s", path);
	r.body = (const uint8_t *)body;
	r.body_len = body ? strlen(body) : 0;
	return api_route(&r, c, why, 256);
}

static void test_routes_table(void)
{
	struct api_call c;
	char why[256];

	CHECK_EQ(route("GET", "/", NULL, &c, why), 0);
	CHECK_EQ(c.op, OP_GET_INFO);
	CHECK_EQ(route("PUT", "/drives/root_1", "{}", &c, why), 0);
	CHECK_EQ(c.op, OP_PUT_DRIVE);
	CHECK_STR(c.id, "root_1");
	api_call_free(&c);
	CHECK_EQ(route("PATCH", "/network-interfaces/eth0", "{}", &c, why), 0);
	CHECK_EQ(c.op, OP_PATCH_NET);
	api_call_free(&c);
	CHECK_EQ(route("GET", "/balloon/statistics", NULL, &c, why), 0);
	CHECK_EQ(c.op, OP_GET_BALLOON_STATS);
	CHECK_EQ(route("GET", "/vm/config", NULL, &c, why), 0);
	CHECK_EQ(c.op, OP_GET_VM_CONFIG);
	CHECK_EQ(route("PUT", "/snapshot/create", "{}", &c, why), 0);
	CHECK_EQ(c.op, OP_PUT_SNAPSHOT_CREATE);
	api_call_free(&c);
	CHECK_EQ(route("PUT", "/snapshot/load", "{}", &c, why), 0);
	CHECK_EQ(c.op, OP_PUT_SNAPSHOT_LOAD);
	api_call_free(&c);
}

static void test_routes_refused(void)
{
	struct api_call c;
	char why[256];

	CHECK_EQ(route("GET", "/nope", NULL, &c, why), -EINVAL);
	CHECK(strstr(why, "Invalid request method and/or path"));
	CHECK_EQ(route("DELETE", "/drives/a", NULL, &c, why), -EINVAL);
	CHECK_EQ(route("GET", "/drives/", NULL, &c, why), -EINVAL);
	CHECK_EQ(route("PUT", "/drives/a/b", "{}", &c, why), -EINVAL);
	CHECK_EQ(route("PUT", "/drives/a-b", "{}", &c, why), -EINVAL);
	CHECK_EQ(route("GET", "/machine-config", "{}", &c, why), -EINVAL);
	CHECK(strstr(why, "cannot have a body"));
	CHECK_EQ(route("PUT", "/machine-config", NULL, &c, why), -EINVAL);
	CHECK(strstr(why, "Empty PUT"));
	CHECK_EQ(route("PUT", "/machine-config", "{", &c, why), -EINVAL);
	CHECK(strstr(why, "deserializing"));
	CHECK_EQ(route("PUT", "/machine-config", "[]", &c, why), -EINVAL);
	CHECK_EQ(route("PUT", "/machine-config", "{\"a\":1,\"a\":2}", &c, why), -EINVAL);
	CHECK_EQ(route("GET", "/snapshot/create", NULL, &c, why), -EINVAL);
	CHECK(strstr(why, "exists with another method"));
	CHECK_EQ(route("PUT", "/snapshot", "{}", &c, why), -EINVAL);
	CHECK_EQ(route("GET", "/mmds", NULL, &c, why), -EINVAL);
	CHECK(strstr(why, "MMDS"));
}

static json_t *J(const char *s)
{
	char why[200];
	json_t *j = schema_load(s, strlen(s), why, sizeof(why));

	if (!j)
		fprintf(stderr, "  bad test JSON: %s\n", why);
	return j;
}

static int apply(int (*fn)(struct vm_config *, json_t *, char *, size_t), struct vm_config *c,
		 const char *s, char *why)
{
	json_t *j = J(s);
	int err = fn(c, j, why, 256);

	json_decref(j);
	return err;
}

static void test_schema_machine(void)
{
	struct vm_config c;
	char why[256];

	config_init(&c);
	CHECK_EQ(apply(schema_put_machine_config, &c, "{\"vcpu_count\":4,\"mem_size_mib\":512}", why), 0);
	CHECK_EQ(c.vcpus, 4);
	CHECK_EQ(c.mem_mib, 512);
	CHECK_EQ(apply(schema_patch_machine_config, &c, "{\"mem_size_mib\":256}", why), 0);
	CHECK_EQ(c.vcpus, 4);
	CHECK_EQ(apply(schema_put_machine_config, &c, "{\"vcpu_count\":4}", why), -EINVAL);
	CHECK(strstr(why, "missing field `mem_size_mib`"));
	CHECK_EQ(apply(schema_put_machine_config, &c, "{\"vcpu_count\":0,\"mem_size_mib\":128}", why),
		 -EINVAL);
	CHECK_EQ(apply(schema_put_machine_config, &c, "{\"vcpu_count\":33,\"mem_size_mib\":128}", why),
		 -EINVAL);
	CHECK_EQ(apply(schema_put_machine_config, &c, "{\"vcpu_count\":1,\"mem_size_mib\":128,\"smt\":true}",
		       why), -EINVAL);
	CHECK_EQ(apply(schema_patch_machine_config, &c, "{}", why), -EINVAL);
	CHECK_EQ(apply(schema_patch_machine_config, &c, "{\"vcpu_count\":\"2\"}", why), -EINVAL);
	CHECK(strstr(why, "unsigned integer"));
	CHECK_EQ(apply(schema_patch_machine_config, &c, "{\"x\":1}", why), -EINVAL);
	CHECK(strstr(why, "unknown field `x`"));
	config_free(&c);
}

static void test_schema_drive_and_net(void)
{
	struct vm_config c;
	char why[256];
	json_t *j;

	config_init(&c);
	j = J("{\"drive_id\":\"root\",\"path_on_host\":\"/r\",\"is_root_device\":true,"
	      "\"rate_limiter\":{\"ops\":{\"size\":10,\"refill_time\":1000}}}");
	CHECK_EQ(schema_put_drive(&c, j, "root", why, sizeof(why)), 0);
	CHECK_EQ(c.n_drives, 1);
	CHECK_EQ(c.drives[0].rate_limiter.ops.size, 10);
	CHECK_EQ(schema_put_drive(&c, j, "other", why, sizeof(why)), -EINVAL);	/* id mismatch */
	json_decref(j);
	j = J("{\"drive_id\":\"b\",\"path_on_host\":\"/b\",\"is_root_device\":true}");
	CHECK_EQ(schema_put_drive(&c, j, "b", why, sizeof(why)), -EINVAL);	/* second root */
	json_decref(j);
	j = J("{\"iface_id\":\"eth0\",\"host_dev_name\":\"tap0\",\"guest_mac\":\"02:00:00:00:00:01\"}");
	CHECK_EQ(schema_put_net(&c, j, "eth0", why, sizeof(why)), 0);
	CHECK(c.nets[0].has_mac);
	CHECK_EQ(c.nets[0].mac[5], 1);
	json_decref(j);
	j = J("{\"iface_id\":\"eth1\",\"host_dev_name\":\"tap1\",\"guest_mac\":\"01:00:00:00:00:01\"}");
	CHECK_EQ(schema_put_net(&c, j, "eth1", why, sizeof(why)), -EINVAL);	/* multicast */
	json_decref(j);
	config_free(&c);
}

static void test_schema_cpu_config(void)
{
	struct vm_config c;
	char why[256];

	config_init(&c);
	CHECK_EQ(apply(schema_put_cpu_config, &c,
		       "{\"cpuid_modifiers\":[{\"leaf\":\"0x7\",\"subleaf\":0,\"flags\":1,"
		       "\"modifiers\":[{\"register\":\"ebx\",\"bitmap\":\"0bx1x0\"}]}],"
		       "\"msr_modifiers\":[{\"addr\":\"0x10a\",\"bitmap\":\"0b1\"}]}", why), 0);
	CHECK_EQ(c.cpu_config.n_cpuid, 1);
	CHECK_EQ(c.cpu_config.cpuid[0].leaf, 7);
	CHECK_EQ(c.cpu_config.cpuid[0].regs[0].reg, CPUID_EBX);
	CHECK_EQ(c.cpu_config.cpuid[0].regs[0].filter, 0x5);
	CHECK_EQ(c.cpu_config.cpuid[0].regs[0].value, 0x4);
	CHECK_EQ(c.cpu_config.msr[0].addr, 0x10a);
	CHECK_EQ(apply(schema_put_cpu_config, &c, "{\"reg_modifiers\":[{}]}", why), -EINVAL);
	config_free(&c);
}

/* Rendering then parsing gives the same configuration (GET /vm/config is a config file). */
static void test_schema_roundtrip(void)
{
	struct vm_config a, b;
	char why[256], *text;
	json_t *j;

	config_init(&a);
	config_init(&b);
	CHECK_EQ(apply(schema_put_boot_source, &a, "{\"kernel_image_path\":\"/k\",\"boot_args\":\"x\"}", why), 0);
	CHECK_EQ(apply(schema_put_balloon, &a, "{\"amount_mib\":5,\"deflate_on_oom\":true}", why), 0);
	CHECK_EQ(apply(schema_put_vsock, &a, "{\"guest_cid\":9,\"uds_path\":\"/v\"}", why), 0);
	CHECK_EQ(apply(schema_put_cpu_config, &a, "{\"msr_modifiers\":[{\"addr\":16,\"bitmap\":\"0b1x\"}]}", why), 0);
	j = schema_vm_config_json(&a);
	text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	j = J(text);
	CHECK_EQ(schema_apply_document(&b, j, why, sizeof(why)), 0);
	json_decref(j);
	free(text);
	CHECK_STR(b.kernel_path, "/k");
	CHECK_STR(b.cmdline, "x");
	CHECK_EQ(b.balloon.amount_mib, 5);
	CHECK_EQ(b.vsock.guest_cid, 9);
	CHECK_EQ(b.cpu_config.msr[0].filter, a.cpu_config.msr[0].filter);
	config_free(&a);
	config_free(&b);
}

static void test_schema_actions(void)
{
	enum api_action_type t;
	char why[256];
	bool pause;
	json_t *j = J("{\"action_type\":\"FlushMetrics\"}");

	CHECK_EQ(schema_parse_action(j, &t, why, sizeof(why)), 0);
	CHECK_EQ(t, ACTION_FLUSH_METRICS);
	json_decref(j);
	j = J("{\"action_type\":\"Reboot\"}");
	CHECK_EQ(schema_parse_action(j, &t, why, sizeof(why)), -EINVAL);
	json_decref(j);
	j = J("{\"state\":\"Paused\"}");
	CHECK_EQ(schema_parse_vm_state(j, &pause, why, sizeof(why)), 0);
	CHECK(pause);
	json_decref(j);
}

/* PUT /snapshot/create and /snapshot/load bodies (Firecracker's fields). */
static void test_schema_snapshots(void)
{
	struct snapshot_create_req cr;
	struct snapshot_load_req lr;
	char why[256];
	json_t *j;

#define CREATE(s) (j = J(s), cr.diff = false, \
		   schema_parse_snapshot_create(j, &cr, why, sizeof(why)))
#define LOAD(s) (j = J(s), schema_parse_snapshot_load(j, &lr, why, sizeof(why)))
	CHECK_EQ(CREATE("{\"snapshot_path\":\"s\",\"mem_file_path\":\"m\"}"), 0);
	CHECK(!cr.diff);
	CHECK_STR(cr.snapshot_path, "s");
	json_decref(j);
	CHECK_EQ(CREATE("{\"snapshot_type\":\"Diff\",\"snapshot_path\":\"s\",\"mem_file_path\":\"m\"}"), 0);
	CHECK(cr.diff);
	json_decref(j);
	CHECK_EQ(CREATE("{\"snapshot_type\":\"Half\",\"snapshot_path\":\"s\",\"mem_file_path\":\"m\"}"), -EINVAL);
	CHECK(strstr(why, "\"Full\" or \"Diff\""));
	json_decref(j);
	CHECK_EQ(CREATE("{\"snapshot_path\":\"s\"}"), -EINVAL);
	CHECK(strstr(why, "mem_file_path"));
	json_decref(j);
	CHECK_EQ(CREATE("{\"snapshot_path\":\"s\",\"mem_file_path\":\"m\",\"version\":\"1\"}"), -EINVAL);
	CHECK(strstr(why, "unknown field `version`"));
	json_decref(j);

	CHECK_EQ(LOAD("{\"snapshot_path\":\"s\",\"mem_backend\":{\"backend_type\":\"File\","
		      "\"backend_path\":\"m\"},\"track_dirty_pages\":true,\"resume_vm\":true,"
		      "\"network_overrides\":[{\"iface_id\":\"eth0\",\"host_dev_name\":\"tap9\"}],"
		      "\"vsock_override\":{\"uds_path\":\"v2.sock\"}}"), 0);
	CHECK_STR(lr.mem_path, "m");
	CHECK(lr.track_dirty_pages && lr.resume_vm);
	CHECK_EQ(lr.n_net, 1);
	CHECK_STR(lr.net[0].host_dev_name, "tap9");
	CHECK_STR(lr.vsock_uds_path, "v2.sock");
	json_decref(j);
	CHECK_EQ(LOAD("{\"snapshot_path\":\"s\",\"mem_file_path\":\"m\",\"enable_diff_snapshots\":true}"), 0);
	CHECK_STR(lr.mem_path, "m");
	CHECK(lr.track_dirty_pages && !lr.resume_vm && !lr.vsock_uds_path);
	json_decref(j);
	CHECK_EQ(LOAD("{\"snapshot_path\":\"s\"}"), -EINVAL);
	CHECK(strstr(why, "mem_backend"));
	json_decref(j);
	CHECK_EQ(LOAD("{\"snapshot_path\":\"s\",\"mem_file_path\":\"m\",\"mem_backend\":"
		      "{\"backend_type\":\"File\",\"backend_path\":\"m\"}}"), -EINVAL);
	CHECK(strstr(why, "not both"));
	json_decref(j);
	CHECK_EQ(LOAD("{\"snapshot_path\":\"s\",\"mem_backend\":{\"backend_type\":\"Uffd\","
		      "\"backend_path\":\"u.sock\"}}"), -EINVAL);
	CHECK(strstr(why, "Uffd backend is not supported"));
	json_decref(j);
	CHECK_EQ(LOAD("{\"snapshot_path\":\"s\",\"mem_file_path\":\"m\",\"network_overrides\":"
		      "[{\"iface_id\":\"a\",\"host_dev_name\":\"t1\"},{\"iface_id\":\"a\","
		      "\"host_dev_name\":\"t2\"}]}"), -EINVAL);
	CHECK(strstr(why, "given twice"));
	json_decref(j);
	CHECK_EQ(LOAD("{\"snapshot_path\":\"s\",\"mem_file_path\":\"m\",\"network_overrides\":"
		      "[{\"iface_id\":\"a\",\"host_dev_name\":\"a-name-that-is-too-long\"}]}"), -EINVAL);
	json_decref(j);
	CHECK_EQ(LOAD("{\"snapshot_path\":\"s\",\"mem_file_path\":\"m\",\"clock_realtime\":true}"), -EINVAL);
	json_decref(j);
	CHECK_EQ(LOAD("{\"snapshot_path\":\"s\",\"mem_file_path\":\"m\",\"resume_vm\":1}"), -EINVAL);
	CHECK(strstr(why, "true or false"));
	json_decref(j);
#undef CREATE
#undef LOAD
}

int main(void)
{
	RUN(test_routes_table);
	RUN(test_routes_refused);
	RUN(test_schema_machine);
	RUN(test_schema_drive_and_net);
	RUN(test_schema_cpu_config);
	RUN(test_schema_roundtrip);
	RUN(test_schema_actions);
	RUN(test_schema_snapshots);
	return harness_summary("api_routes");
}

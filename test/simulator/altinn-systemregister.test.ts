import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  A,
  adminWith,
  CLIENT_PKG,
  codes,
  createSystem,
  OTHER_VENDOR,
  PKG,
  REGISTER,
  right,
  SCOPE,
  systemBody,
  systemId,
} from "./altinn-helpers";
import { adminToken, call, decodeJwtPayload, start, VENDOR, type Sim } from "./helpers";

// The system register (`SystemRegisterController`): every rule of its create, update and partial updates with its status and body, soft delete and
// burned ids, the quirks on (default) and off.

let sim: Sim;
let plain: Sim; // quirks: false
let admin: string;
let plainAdmin: string;
let otherVendor: string;

beforeAll(async () => {
  [sim, plain] = await Promise.all([start(), start({ quirks: false })]);
  [admin, plainAdmin] = await Promise.all([adminToken(sim), adminToken(plain)]);
  const creds = await call(sim, "POST", "/_sim/orgs", {
    json: { orgNo: OTHER_VENDOR, name: "Andre Simulerte Leverandør AS", vendor: true },
  });
  otherVendor = await adminToken(sim, creds.body);
});
afterAll(() => Promise.all([sim.close(), plain.close()]));

const post = (body: unknown, token = admin, s = sim) => call(s, "POST", REGISTER, { token, json: body });
const get = (id: string, token = admin, s = sim) => call(s, "GET", `${REGISTER}/${encodeURIComponent(id)}`, { token });
const put = (id: string, body: unknown, token = admin, s = sim) =>
  call(s, "PUT", `${REGISTER}/${encodeURIComponent(id)}`, { token, json: body });
const del = (id: string, token = admin, s = sim) => call(s, "DELETE", `${REGISTER}/${encodeURIComponent(id)}`, { token });

function expectValidationProblem(r: { status: number; headers: Headers; body: any }, expected: string[]) {
  expect(r.status).toBe(400);
  expect(r.headers.get("content-type")).toContain("application/problem+json");
  expect(r.body).toMatchObject({ type: "urn:altinn:error:STD-00000", code: "STD-00000", status: 400 });
  expect(codes(r as never).sort()).toEqual([...expected].sort());
}

describe("create and read", () => {
  it("answers 200 with the internal GUID as a JSON string, and GET gives the full model with vendor.ID only", async () => {
    const body = systemBody();
    const r = await post(body);
    expect(r.status).toBe(200);
    expect(r.text).toMatch(/^"[0-9a-f-]{36}"$/);
    const read = await get(body.id as string);
    expect(read.status).toBe(200);
    expect(read.body).toEqual({
      id: body.id,
      vendor: { ID: `0192:${VENDOR}` },
      name: body.name,
      description: body.description,
      rights: body.rights,
      accessPackages: body.accessPackages,
      isVisible: true,
      isDeleted: false,
      clientId: body.clientId,
      allowedRedirectUrls: ["https://vendor.example/receipt"],
    });
  });

  it("binds property names case-insensitively, ignores unknown ones, trims the id and normalises redirect URLs like .NET Uri", async () => {
    const id = systemId();
    const r = await post({
      ID: `  ${id} `,
      Vendor: { id: `0192:${VENDOR}` },
      NAME: { nb: "a", nn: "b", en: "c" },
      description: { nb: "a", nn: "b", en: "c" },
      allowedredirecturls: ["HTTPS://Vendor.EXAMPLE", "https://vendor.example:443/a?b=1"],
      isvisible: false,
      softDeleted: true,
    });
    expect(r.status).toBe(200);
    const read = await get(id);
    expect(read.body).toMatchObject({ id, isVisible: false, isDeleted: false, rights: [], accessPackages: [], clientId: [] });
    expect(read.body.allowedRedirectUrls).toEqual(["https://vendor.example/", "https://vendor.example/a?b=1"]);
  });

  it("lists only the caller's non-deleted systems, in the summary shape", async () => {
    const mine = await createSystem(sim, admin);
    const gone = await createSystem(sim, admin);
    await del(gone.id);
    const theirs = systemBody({}, OTHER_VENDOR);
    expect((await post(theirs, otherVendor)).status).toBe(200);
    const list = await call(sim, "GET", REGISTER, { token: admin });
    expect(list.status).toBe(200);
    const ids = list.body.map((s: any) => s.systemId);
    expect(ids).toContain(mine.id);
    expect(ids).not.toContain(gone.id);
    expect(ids).not.toContain(theirs.id);
    const item = list.body.find((s: any) => s.systemId === mine.id);
    expect(Object.keys(item).sort()).toEqual([
      "accessPackages",
      "description",
      "isVisible",
      "name",
      "rights",
      "systemId",
      "systemVendorOrgName",
      "systemVendorOrgNumber",
    ]);
    expect(item).toMatchObject({ systemVendorOrgNumber: VENDOR, systemVendorOrgName: "" });
  });

  it("answers GET of an unknown id with ASP.NET's 404 problem (no Altinn code), and tolerates a trailing slash", async () => {
    const r = await get(systemId());
    expect(r.status).toBe(404);
    expect(r.body).toMatchObject({ status: 404, title: "Not Found" });
    expect(r.body.code).toBeUndefined();
    const mine = await createSystem(sim, admin);
    expect((await call(sim, "GET", `${REGISTER}/${mine.id}/`, { token: admin })).status).toBe(200);
  });

  it("has no GET for a system's rights (405)", async () => {
    const mine = await createSystem(sim, admin);
    expect((await call(sim, "GET", `${REGISTER}/${mine.id}/rights`, { token: admin })).status).toBe(405);
  });
});

describe("POST validation (`SystemRegisterController` create)", () => {
  it("answers a vendor ID that is not 0192 with AUTH.VLD-00000 alone, even when the rest is invalid too", async () => {
    const r = await post(systemBody({ id: "bad id", vendor: { ID: `9908:${VENDOR}` }, allowedRedirectUrls: ["http://x"] }));
    expectValidationProblem(r, ["AUTH.VLD-00000"]);
    expect(r.body.validationErrors[0].paths).toEqual(["/registersystemrequest/vendor/id"]);
  });

  it("collects id with spaces (00013) and an id not prefixed by the vendor orgno (00001)", async () => {
    const r = await post(systemBody({ id: "99182582 7_x" }));
    expectValidationProblem(r, ["AUTH.VLD-00013", "AUTH.VLD-00001"]);
    expect(r.body.validationErrors.every((e: any) => e.paths[0] === "/registersystemrequest/systemid")).toBe(true);
    expectValidationProblem(await post(systemBody({ id: `${OTHER_VENDOR}_x` })), ["AUTH.VLD-00001"]);
  });

  it("accepts an id equal to the vendor orgno without an underscore (the prefix check's edge)", async () => {
    expect((await post(systemBody({ id: VENDOR }))).status).toBe(200);
    expect((await get(VENDOR)).body.id).toBe(VENDOR);
  });

  it("refuses an id that exists, including a soft-deleted one: ids are burned forever (00002)", async () => {
    const body = await createSystem(sim, admin);
    expectValidationProblem(await post(systemBody({ id: body.id })), ["AUTH.VLD-00002"]);
    await del(body.id);
    expectValidationProblem(await post(systemBody({ id: body.id })), ["AUTH.VLD-00002"]);
  });

  it("refuses redirect URLs that are not absolute https (00005), listing them", async () => {
    const r = await post(systemBody({ allowedRedirectUrls: ["http://vendor.example/", "/relative", "https://ok.example/"] }));
    expectValidationProblem(r, ["AUTH.VLD-00005"]);
    expect(r.body.validationErrors[0].paths).toEqual(["/registersystemrequest/allowedredirecturls"]);
    expect(JSON.stringify(r.body.validationErrors[0])).toContain("http://vendor.example/ | /relative");
  });

  it("refuses a client id attached to another system (00004) until that system is deleted", async () => {
    const clientId = randomUUID();
    const first = await createSystem(sim, admin, { clientId: [clientId] });
    const clash = await post(systemBody({ clientId: [clientId.toUpperCase()] }));
    expectValidationProblem(clash, ["AUTH.VLD-00004"]);
    expect(clash.body.validationErrors[0].paths).toEqual(["/registersystemrequest/clientid"]);
    expect((await del(first.id)).status).toBe(200);
    expect((await post(systemBody({ clientId: [clientId] }))).status).toBe(200);
  });

  it("checks rights: attribute id (00009), unknown resource (00003), non-delegable type (00017), duplicates (00006)", async () => {
    const r = await post(
      systemBody({
        rights: [
          right("ske-krav-og-betalinger", "urn:altinn:app"),
          right("no-such-resource"),
          right("ske-maskinporten-skjema"),
          right("ske-krav-og-betalinger"),
          right("ske-krav-og-betalinger"),
        ],
      }),
    );
    expectValidationProblem(r, ["AUTH.VLD-00009", "AUTH.VLD-00003", "AUTH.VLD-00017", "AUTH.VLD-00006"]);
    const byCode = Object.fromEntries(r.body.validationErrors.map((e: any) => [e.code, e]));
    expect(byCode["AUTH.VLD-00003"]).toMatchObject({
      paths: ["/registersystemrequest/rights/resource"],
      "ResourceIds Not Found : ": "no-such-resource",
    });
    expect(JSON.stringify(byCode["AUTH.VLD-00017"])).toContain("ske-maskinporten-skjema");
  });

  it("checks access packages: format or unknown (one 00008), duplicates (00007), visible with a client package (00018)", async () => {
    const r = await post(
      systemBody({
        accessPackages: [{ urn: "urn:x" }, { urn: "urn:altinn:accesspackage:nope" }, { urn: PKG }, { urn: PKG }, { urn: CLIENT_PKG }],
      }),
    );
    expectValidationProblem(r, ["AUTH.VLD-00008", "AUTH.VLD-00007", "AUTH.VLD-00018"]);
    const vld8 = r.body.validationErrors.find((e: any) => e.code === "AUTH.VLD-00008");
    expect(JSON.stringify(vld8)).toContain("urn:x");
    expect(JSON.stringify(vld8)).toContain("urn:altinn:accesspackage:nope");
    // An agent system (client packages) must be invisible.
    expect((await post(systemBody({ accessPackages: [{ urn: CLIENT_PKG }], isVisible: false }))).status).toBe(200);
  });

  it("answers 403 with an empty body for another vendor's vendor.ID, before the collected errors", async () => {
    const r = await post(systemBody({ id: `${OTHER_VENDOR}_has space`, vendor: { ID: `0192:${OTHER_VENDOR}` }, rights: [right("nope")] }));
    expect(r.status).toBe(403);
    expect(r.text).toBe("");
  });

  it("answers framework binding failures with ASP.NET's ValidationProblemDetails", async () => {
    const missing = await post({ id: systemId(), vendor: { ID: `0192:${VENDOR}` }, description: { nb: "a", nn: "b", en: "c" } });
    expect(missing.status).toBe(400);
    expect(missing.body.type).toBe("https://tools.ietf.org/html/rfc9110#section-15.5.1");
    expect(missing.body.errors.$[0]).toContain("missing required properties, including the following: name");
    const wrongType = await post(systemBody({ isVisible: "yes" }));
    expect(Object.keys(wrongType.body.errors)).toContain("$.isVisible");
    const nullList = await post(systemBody({ clientId: null }));
    expect(nullList.status).toBe(400);
    expect(nullList.body.errors.ClientId).toEqual(["The ClientId field is required."]);
    const notJson = await call(sim, "POST", REGISTER, { token: admin, headers: { "content-type": "text/plain" }, json: systemBody() });
    expect(notJson.status).toBe(415);
    const malformed = await call(sim, "POST", REGISTER, { token: admin, headers: { "content-type": "application/json" }, json: undefined });
    expect(malformed.status).toBe(400);
  });

  it("with quirks: a missing nb/nn/en is a 500 with the database message, a missing vendor.ID a 500, a client id listed twice a 409 in plain text", async () => {
    const lang = await post(systemBody({ name: { nb: "a", en: "c" } }));
    expect(lang.status).toBe(500);
    expect(lang.headers.get("content-type")).toContain("text/plain");
    expect(lang.text).toContain("nn");
    expect((await post(systemBody({ vendor: { authority: "iso6523-actorid-upis" } }))).status).toBe(500);
    const id = randomUUID();
    const twice = await post(systemBody({ clientId: [id, id] }));
    expect(twice.status).toBe(409);
    expect(twice.headers.get("content-type")).toContain("text/plain");
  });

  it("without quirks: the same inputs are 400s (ValidationProblemDetails, AUTH.VLD-00000, AUTH.VLD-00011)", async () => {
    const lang = await post(systemBody({ name: { nb: "a", en: "c" } }), plainAdmin, plain);
    expect(lang.status).toBe(400);
    expect(lang.body.errors["$.name"][0]).toContain("nn");
    expectValidationProblem(await post(systemBody({ vendor: {} }), plainAdmin, plain), ["AUTH.VLD-00000"]);
    const id = randomUUID();
    expectValidationProblem(await post(systemBody({ clientId: [id, id] }), plainAdmin, plain), ["AUTH.VLD-00011"]);
  });
});

describe("tokens and scopes", () => {
  it("answers 401 with an empty body without a valid token", async () => {
    const none = await call(sim, "GET", REGISTER);
    expect(none.status).toBe(401);
    expect(none.text).toBe("");
    expect((await call(sim, "GET", REGISTER, { token: "not.a.jwt" })).status).toBe(401);
  });

  it("answers 403 with an empty body when the token lacks systemregister.write", async () => {
    const token = await adminWith(sim, SCOPE.read, SCOPE.write);
    for (const [method, path] of [
      ["GET", REGISTER],
      ["POST", REGISTER],
      ["GET", `${A}/systemuser/vendor/bysystem/${VENDOR}_x`],
    ] as const) {
      const r = await call(sim, method, path, { token, json: method === "POST" ? systemBody() : undefined });
      expect(r.status, `${method} ${path}`).toBe(403);
      expect(r.text).toBe("");
    }
  });

  it("answers 403 to another vendor reading, changing or deleting a system", async () => {
    const mine = await createSystem(sim, admin);
    expect((await get(mine.id, otherVendor)).status).toBe(403);
    expect((await put(mine.id, mine, otherVendor)).status).toBe(403);
    expect((await del(mine.id, otherVendor)).status).toBe(403);
    expect((await call(sim, "GET", `${REGISTER}/${mine.id}/changelog`, { token: otherVendor })).status).toBe(403);
  });

  it("accepts an Altinn token exchanged from the Maskinporten token (plain-text JWT)", async () => {
    const ex = await call(sim, "GET", `${A}/exchange/maskinporten`, { token: admin });
    expect(ex.status).toBe(200);
    expect(ex.headers.get("content-type")).toContain("text/plain");
    const claims = decodeJwtPayload(ex.text);
    expect(claims).toMatchObject({
      iss: `${sim.url}${A}/openid/`,
      "urn:altinn:orgNumber": VENDOR,
      "urn:altinn:authenticatemethod": "maskinporten",
      "urn:altinn:authlevel": 3,
    });
    expect(claims.scope).toContain(SCOPE.register);
    expect((await call(sim, "GET", REGISTER, { token: ex.text })).status).toBe(200);
    expect((await call(sim, "GET", `${A}/exchange/maskinporten`)).status).toBe(401);
    expect((await call(sim, "GET", `${A}/exchange/maskinporten`, { token: "x.y.z" })).status).toBe(401);
    expect((await call(sim, "GET", `${A}/exchange/somethingelse`, { token: admin })).status).toBe(400);
  });

  it("keeps the portal routes for end-user tokens: a vendor token gets 403", async () => {
    expect((await call(sim, "GET", `${A}/systemregister`, { token: admin })).status).toBe(403);
  });
});

describe("PUT (`SystemRegisterController` update)", () => {
  it("replaces the whole system: omitted arrays become empty, omitted isVisible becomes true", async () => {
    const body = await createSystem(sim, admin, { isVisible: false });
    const r = await put(body.id, {
      id: body.id,
      vendor: body.vendor,
      name: { nb: "Nytt", nn: "Nytt", en: "New" },
      description: body.description,
    });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ succeeded: true });
    expect((await get(body.id)).body).toMatchObject({
      name: { nb: "Nytt" },
      rights: [],
      accessPackages: [],
      clientId: [],
      allowedRedirectUrls: [],
      isVisible: true,
    });
  });

  it("checks in order: unknown (404 text), owner (403), vendor mismatch (404 text), id mismatch (00012), deleted (400 text)", async () => {
    const unknown = await put(`${VENDOR}_nope_${randomUUID()}`, systemBody());
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get("content-type")).toContain("text/plain");
    const body = await createSystem(sim, admin);
    expect((await put(body.id, { ...body, vendor: { ID: `0192:${OTHER_VENDOR}` } }, otherVendor)).status).toBe(403);
    const mismatch = await put(body.id, { ...body, vendor: { ID: `0192:${OTHER_VENDOR}` } });
    expect(mismatch.status).toBe(404);
    expect(mismatch.headers.get("content-type")).toContain("text/plain");
    expectValidationProblem(await put(body.id, { ...body, id: `${body.id}_other` }), ["AUTH.VLD-00012"]);
    await del(body.id);
    const deleted = await put(body.id, body);
    expect(deleted.status).toBe(400);
    expect(deleted.headers.get("content-type")).toContain("text/plain");
  });

  it("refuses duplicate client ids (00011, case-insensitive) and ids of another system (00004); a removed id is freed", async () => {
    const shared = randomUUID();
    const a = await createSystem(sim, admin, { clientId: [shared] });
    const b = await createSystem(sim, admin);
    expectValidationProblem(await put(b.id, { ...b, clientId: [shared] }), ["AUTH.VLD-00004"]);
    const dup = randomUUID();
    expectValidationProblem(await put(b.id, { ...b, clientId: [dup, dup.toUpperCase()] }), ["AUTH.VLD-00011"]);
    expect((await put(a.id, { ...a, clientId: [] })).status).toBe(200);
    expect((await put(b.id, { ...b, clientId: [shared] })).status).toBe(200);
    expect((await get(b.id)).body.clientId).toEqual([shared]);
  });

  it("applies the packages' isVisible rule to the body's isVisible, and validates rights as POST does", async () => {
    const body = await createSystem(sim, admin, { isVisible: false, accessPackages: [] });
    expectValidationProblem(await put(body.id, { ...body, accessPackages: [{ urn: CLIENT_PKG }], isVisible: true }), ["AUTH.VLD-00018"]);
    expect((await put(body.id, { ...body, accessPackages: [{ urn: CLIENT_PKG }], isVisible: false })).status).toBe(200);
    expectValidationProblem(await put(body.id, { ...body, rights: [right("nope")] }), ["AUTH.VLD-00003"]);
  });

  it("with quirks accepts http redirect URLs and answers a missing language with a 500; without quirks both are 400s", async () => {
    const body = await createSystem(sim, admin);
    expect((await put(body.id, { ...body, allowedRedirectUrls: ["http://vendor.example/x"] })).status).toBe(200);
    expect((await get(body.id)).body.allowedRedirectUrls).toEqual(["http://vendor.example/x"]);
    const lang = await put(body.id, { ...body, description: { nb: "x" } });
    expect(lang.status).toBe(500);
    expect(lang.body.title).toBe("An error occurred while processing your request.");

    const strict = systemBody();
    expect((await post(strict, plainAdmin, plain)).status).toBe(200);
    expectValidationProblem(
      await put(strict.id as string, { ...strict, allowedRedirectUrls: ["http://vendor.example/x"] }, plainAdmin, plain),
      ["AUTH.VLD-00005"],
    );
    expect((await put(strict.id as string, { ...strict, description: { nb: "x" } }, plainAdmin, plain)).status).toBe(400);
  });
});

describe("partial updates (`SystemRegisterService`)", () => {
  it("replaces only the rights, or only the access packages", async () => {
    const body = await createSystem(sim, admin);
    const rights = await call(sim, "PUT", `${REGISTER}/${body.id}/rights`, {
      token: admin,
      json: [right("ske-innrapportering-boligselskap")],
    });
    expect(rights.status).toBe(200);
    expect(rights.body).toEqual({ succeeded: true });
    const packages = await call(sim, "PUT", `${REGISTER}/${body.id}/accesspackages`, { token: admin, json: [] });
    expect(packages.status).toBe(200);
    const read = (await get(body.id)).body;
    expect(read.rights).toEqual([right("ske-innrapportering-boligselskap")]);
    expect(read.accessPackages).toEqual([]);
    expect(read.clientId).toEqual(body.clientId);
  });

  it("uses the stored isVisible for the accesspackages rule, and validates rights", async () => {
    const body = await createSystem(sim, admin, { isVisible: true });
    expectValidationProblem(
      await call(sim, "PUT", `${REGISTER}/${body.id}/accesspackages`, { token: admin, json: [{ urn: CLIENT_PKG }] }),
      ["AUTH.VLD-00018"],
    );
    expectValidationProblem(
      await call(sim, "PUT", `${REGISTER}/${body.id}/rights`, { token: admin, json: [right("ske-maskinporten-skjema")] }),
      ["AUTH.VLD-00017"],
    );
  });

  it("answers an unknown system with 500 with quirks, 404 plain text without; a deleted one with 400 plain text", async () => {
    const unknown = `${VENDOR}_nope_${randomUUID()}`;
    expect((await call(sim, "PUT", `${REGISTER}/${unknown}/rights`, { token: admin, json: [] })).status).toBe(500);
    const strict = await call(plain, "PUT", `${REGISTER}/${unknown}/accesspackages`, { token: plainAdmin, json: [] });
    expect(strict.status).toBe(404);
    expect(strict.headers.get("content-type")).toContain("text/plain");
    const body = await createSystem(sim, admin);
    await del(body.id);
    const deleted = await call(sim, "PUT", `${REGISTER}/${body.id}/rights`, { token: admin, json: [] });
    expect(deleted.status).toBe(400);
    expect(deleted.headers.get("content-type")).toContain("text/plain");
  });
});

describe("DELETE (`SystemRegisterService`)", () => {
  it("soft-deletes: GET still shows the system with isDeleted true and its old client ids, which are free for another system", async () => {
    const body = await createSystem(sim, admin);
    const r = await del(body.id);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ succeeded: true });
    expect((await get(body.id)).body).toMatchObject({ id: body.id, isDeleted: true, clientId: body.clientId });
    expect((await call(sim, "POST", REGISTER, { token: admin, json: systemBody({ clientId: body.clientId }) })).status).toBe(200);
  });

  it("accessPackages: null is accepted and stored as absent; rights: null is the service's 500 (400 without quirks)", async () => {
    const created = systemBody({ accessPackages: null });
    expect((await call(sim, "POST", REGISTER, { token: admin, json: created })).status).toBe(200);
    const read = (await get(created.id as string)).body;
    expect(read).not.toHaveProperty("accessPackages");
    expect(read.rights.length).toBeGreaterThan(0);
    const nullRights = await call(sim, "POST", REGISTER, { token: admin, json: systemBody({ rights: null }) });
    expect(nullRights.status).toBe(500);
    const strict = await call(plain, "POST", REGISTER, { token: plainAdmin, json: systemBody({ rights: null }) });
    expect(strict.status).toBe(400);
    expect(strict.body.errors.Rights).toEqual(["The Rights field is required."]);
  });

  it("with quirks answers 400 without a code (the delete done) for a system without client ids and for a second delete", async () => {
    const body = await createSystem(sim, admin, { clientId: [] });
    const first = await del(body.id);
    expect(first.status).toBe(400);
    expect(first.body.code).toBeUndefined();
    expect((await get(body.id)).body.isDeleted).toBe(true);
    const withClients = await createSystem(sim, admin);
    expect((await del(withClients.id)).status).toBe(200);
    expect((await del(withClients.id)).status).toBe(400);
  });

  it("without quirks answers 200 for both", async () => {
    const body = systemBody({ clientId: [] });
    expect((await post(body, plainAdmin, plain)).status).toBe(200);
    expect((await del(body.id as string, plainAdmin, plain)).status).toBe(200);
    expect((await del(body.id as string, plainAdmin, plain)).status).toBe(200);
  });

  it("answers an unknown id with 400 and errors.return", async () => {
    const r = await del(`${VENDOR}_nope_${randomUUID()}`);
    expect(r.status).toBe(400);
    expect(r.body.errors).toEqual({ return: ["System not found"] });
  });
});

describe("changelog", () => {
  it("records create, update, rightsupdate, accesspackageupdate and delete with the caller's client id", async () => {
    const body = await createSystem(sim, admin);
    await put(body.id, body);
    await call(sim, "PUT", `${REGISTER}/${body.id}/rights`, { token: admin, json: [] });
    await call(sim, "PUT", `${REGISTER}/${body.id}/accesspackages`, { token: admin, json: [] });
    await del(body.id);
    const log = await call(sim, "GET", `${REGISTER}/${body.id}/changelog`, { token: admin });
    expect(log.status).toBe(200);
    expect(log.body.map((e: any) => e.changeType)).toEqual(["create", "update", "rightsupdate", "accesspackageupdate", "delete"]);
    expect(log.body[0]).toMatchObject({ changedByOrgNumber: VENDOR, clientId: sim.bootstrap.clientId });
    expect(log.body[0].changedData.id).toBe(body.id);
    const unknown = await call(sim, "GET", `${REGISTER}/${VENDOR}_nope/changelog`, { token: admin });
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get("content-type")).toContain("text/plain");
  });
});

describe("metadata from the seed", () => {
  it("serves the Resource Registry resources and the access package metadata", async () => {
    const res = await call(sim, "GET", "/altinn/resourceregistry/api/v1/resource/ske-maskinporten-skjema");
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ identifier: "ske-maskinporten-skjema", resourceType: "MaskinportenSchema", delegable: false });
    expect((await call(sim, "GET", "/altinn/resourceregistry/api/v1/resource/nope")).status).toBe(404);
    const pkg = await call(sim, "GET", `/altinn/accessmanagement/api/v1/meta/info/accesspackages/package/urn/${CLIENT_PKG}`);
    expect(pkg.body).toMatchObject({ urn: CLIENT_PKG, isDelegable: true, isAssignable: false });
  });
});

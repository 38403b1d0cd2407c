import type { SimReply, SimRequest } from "../core/http";
import { newUuid } from "../core/ids";
import type { SimContext } from "../context";
import { bindPackageList, bindRightsList, bindSystem, type SystemInput } from "./bind";
import {
  addRoute,
  aspnetProblem,
  aspnetValidationProblem,
  AUTH_BASE,
  authorize,
  emptyStatus,
  okJson,
  plainText,
  readJson,
  SCOPES,
  validationProblem,
  VLD_PATHS,
  type Caller,
  type VldError,
} from "./http";
import { systemListItem, systemView, type AltinnState, type ChangeType, type SystemRecord } from "./model";
import {
  absoluteUrl,
  missingLanguages,
  normaliseUrl,
  validateClientIdDuplicates,
  validateClientIdsInUse,
  validateRedirectUrls,
  validateSystemPackages,
  validateSystemRights,
} from "./validate";

// The system register's vendor API (`SystemRegisterController`): POST/GET vendor, GET/PUT/DELETE vendor/{systemId},
// PUT vendor/{systemId}/rights and /accesspackages, GET vendor/{systemId}/changelog, plus the portal routes
// that a vendor token cannot use (altinn:portal/enduser). Every rule in the order of `SystemRegisterController`.

const BASE = `${AUTH_BASE}/systemregister`;
const REGISTER_SCOPES = [SCOPES.systemRegisterWrite, SCOPES.systemRegisterAdmin];
const MAX_ID_LENGTH = 255;

export function registerSystemRegister(ctx: SimContext, state: AltinnState): void {
  const quirks = () => ctx.config.quirks;

  const owns = (caller: Caller, system: SystemRecord) => caller.admin || system.vendorOrgNo === caller.orgNo;

  const log = (system: SystemRecord, caller: Caller, changeType: ChangeType, changedData: unknown) => {
    system.changelog.push({
      systemInternalId: system.internalId,
      changedByOrgNumber: caller.orgNo,
      changeType,
      changedData,
      clientId: String(caller.claims.client_id ?? ""),
      created: ctx.clock.iso(),
    });
  };

  /** Database-level failures the service does not pre-validate: 500 with quirks, a 400 otherwise. */
  const languageFailure = (input: SystemInput, onPost: boolean): SimReply | undefined => {
    for (const field of ["name", "description"] as const) {
      const missing = missingLanguages(input[field]);
      if (missing.length === 0) continue;
      if (!quirks())
        return aspnetValidationProblem({
          [`$.${field}`]: [`The ${field} must contain the languages nb, nn and en (missing: ${missing.join(", ")}).`],
        });
      return onPost
        ? plainText(500, `23514: value for domain translated_text violates check constraint "${missing[0]}_required"`)
        : aspnetProblem(500);
    }
    return undefined;
  };

  // --- POST vendor (`SystemRegisterController` create) ---
  addRoute(ctx, "POST", `${BASE}/vendor`, async (req) => {
    const auth = await authorize(ctx, req, REGISTER_SCOPES);
    if (!auth.ok) return auth.reply;
    const json = readJson(req, "registerSystemRequest");
    if (!json.ok) return json.reply;
    const bound = bindSystem(json.value);
    if (!bound.ok) return bound.reply;
    const input = bound.value;
    // `rights: null` is dereferenced in the service (a 500 the controller catches); without quirks the framework's 400.
    if (input.rightsNull) return quirks() ? aspnetProblem(500) : aspnetValidationProblem({ Rights: ["The Rights field is required."] });

    // 1. vendor.ID must be an ISO 6523 0192 identifier; checked alone and answered at once.
    if (input.vendorId === undefined) {
      return quirks() ? aspnetProblem(500) : validationProblem([{ code: "AUTH.VLD-00000", paths: [VLD_PATHS.vendorId] }]);
    }
    const colon = input.vendorId.indexOf(":");
    if (colon < 0 || input.vendorId.slice(0, colon) !== "0192")
      return validationProblem([{ code: "AUTH.VLD-00000", paths: [VLD_PATHS.vendorId] }]);
    const vendorOrgNo = input.vendorId.slice(colon + 1);

    // 2. Everything else is collected.
    const errors: VldError[] = [];
    if (input.id.includes(" ")) errors.push({ code: "AUTH.VLD-00013", paths: [VLD_PATHS.systemId] });
    if (input.id.split("_")[0] !== vendorOrgNo) errors.push({ code: "AUTH.VLD-00001", paths: [VLD_PATHS.systemId] });
    if (state.system(input.id)) errors.push({ code: "AUTH.VLD-00002", paths: [VLD_PATHS.systemId] });
    errors.push(...validateRedirectUrls(input.allowedRedirectUrls));
    errors.push(...validateClientIdsInUse(state, input.clientId));
    errors.push(...validateSystemRights(state, input.rights));
    errors.push(...validateSystemPackages(state, input.accessPackages, input.isVisible));
    if (!quirks()) errors.push(...validateClientIdDuplicates(input.clientId));

    // 3. Ownership runs before the collected errors are returned.
    if (vendorOrgNo !== auth.caller.orgNo && !auth.caller.admin) return emptyStatus(403);
    // 4.
    if (errors.length > 0) return validationProblem(errors);
    // 5. What only the database checks.
    const languages = languageFailure(input, true);
    if (languages) return languages;
    if (input.id.length > MAX_ID_LENGTH) {
      return quirks()
        ? plainText(500, "22001: value too long for type character varying(255)")
        : aspnetValidationProblem({ "$.id": [`The system id can be at most ${MAX_ID_LENGTH} characters.`] });
    }
    if (validateClientIdDuplicates(input.clientId).length > 0) {
      return plainText(409, "The system could not be created: it already exists, or a client id is already in use.");
    }

    const system: SystemRecord = {
      internalId: newUuid(),
      id: input.id,
      vendorOrgNo,
      name: { ...input.name },
      description: { ...input.description },
      rights: input.rights,
      accessPackages: input.accessPackages,
      ...(input.accessPackagesNull ? { accessPackagesNull: true } : {}),
      clientId: input.clientId,
      isVisible: input.isVisible,
      allowedRedirectUrls: input.allowedRedirectUrls.map(normaliseUrl),
      isDeleted: false,
      created: ctx.clock.iso(),
      changelog: [],
    };
    log(system, auth.caller, "create", json.value);
    state.systems.value[system.id] = system;
    state.changed();
    return okJson(200, system.internalId);
  });

  // --- GET vendor: the caller's non-deleted systems, summary shape ---
  addRoute(ctx, "GET", `${BASE}/vendor`, async (req) => {
    const auth = await authorize(ctx, req, REGISTER_SCOPES);
    if (!auth.ok) return auth.reply;
    const mine = Object.values(state.systems.value).filter((s) => !s.isDeleted && s.vendorOrgNo === auth.caller.orgNo);
    return okJson(200, mine.map(systemListItem));
  });

  // --- GET vendor/{systemId}: full model, soft-deleted included ---
  addRoute(ctx, "GET", `${BASE}/vendor/:systemId`, async (req) => {
    const auth = await authorize(ctx, req, REGISTER_SCOPES);
    if (!auth.ok) return auth.reply;
    const system = state.system(req.params.systemId!);
    if (!system) return aspnetProblem(404);
    if (!owns(auth.caller, system)) return emptyStatus(403);
    return okJson(200, systemView(system));
  });

  // --- PUT vendor/{systemId}: full replace (`SystemRegisterController` update) ---
  addRoute(ctx, "PUT", `${BASE}/vendor/:systemId`, async (req) => {
    const auth = await authorize(ctx, req, REGISTER_SCOPES);
    if (!auth.ok) return auth.reply;
    const json = readJson(req, "updateSystemRequest");
    if (!json.ok) return json.reply;
    const bound = bindSystem(json.value);
    if (!bound.ok) return bound.reply;
    const input = bound.value;
    // `rights: null` is dereferenced in the service (a 500 the controller catches); without quirks the framework's 400.
    if (input.rightsNull) return quirks() ? aspnetProblem(500) : aspnetValidationProblem({ Rights: ["The Rights field is required."] });
    const systemId = req.params.systemId!;

    const system = state.system(systemId);
    if (!system) return plainText(404, `System ${systemId} not found`);
    if (!owns(auth.caller, system)) return emptyStatus(403);
    if (input.vendorId !== `0192:${system.vendorOrgNo}`) return plainText(404, `System ${systemId} not found`);
    if (input.id !== systemId) return validationProblem([{ code: "AUTH.VLD-00012", paths: [VLD_PATHS.systemId] }]);
    if (system.isDeleted) return plainText(400, `System ${systemId} is deleted and cannot be updated`);

    const errors: VldError[] = [
      ...validateSystemRights(state, input.rights),
      ...validateSystemPackages(state, input.accessPackages, input.isVisible),
      ...validateClientIdDuplicates(input.clientId),
      ...validateClientIdsInUse(state, input.clientId, systemId),
    ];
    // Quirk: PUT skips the https rule of POST (the database only wants http(s)://...).
    if (!quirks()) errors.push(...validateRedirectUrls(input.allowedRedirectUrls));
    if (errors.length > 0) return validationProblem(errors);
    const languages = languageFailure(input, false);
    if (languages) return languages;
    if (input.allowedRedirectUrls.some((u) => !/^https?:\/\/.+/i.test(u) || !absoluteUrl(u))) return aspnetProblem(500);

    system.name = { ...input.name };
    system.description = { ...input.description };
    system.rights = input.rights;
    system.accessPackages = input.accessPackages;
    if (input.accessPackagesNull) system.accessPackagesNull = true;
    else delete system.accessPackagesNull;
    system.clientId = input.clientId;
    system.isVisible = input.isVisible;
    system.allowedRedirectUrls = input.allowedRedirectUrls.map(normaliseUrl);
    log(system, auth.caller, "update", json.value);
    state.changed();
    return okJson(200, { succeeded: true });
  });

  /** The partial PUTs share their order: unknown (500 quirk) → owner → deleted → validation. */
  const partialTarget = (caller: Caller, systemId: string): { ok: true; system: SystemRecord } | { ok: false; reply: SimReply } => {
    const system = state.system(systemId);
    if (!system) return { ok: false, reply: quirks() ? aspnetProblem(500) : plainText(404, `System ${systemId} not found`) };
    if (!owns(caller, system)) return { ok: false, reply: emptyStatus(403) };
    if (system.isDeleted) return { ok: false, reply: plainText(400, `System ${systemId} is deleted and cannot be updated`) };
    return { ok: true, system };
  };

  // --- PUT vendor/{systemId}/rights (`SystemRegisterService`) ---
  addRoute(ctx, "PUT", `${BASE}/vendor/:systemId/rights`, async (req) => {
    const auth = await authorize(ctx, req, REGISTER_SCOPES);
    if (!auth.ok) return auth.reply;
    const json = readJson(req, "rights");
    if (!json.ok) return json.reply;
    const bound = bindRightsList(json.value);
    if (!bound.ok) return bound.reply;
    const target = partialTarget(auth.caller, req.params.systemId!);
    if (!target.ok) return target.reply;
    const errors = validateSystemRights(state, bound.value);
    if (errors.length > 0) return validationProblem(errors);
    target.system.rights = bound.value;
    log(target.system, auth.caller, "rightsupdate", json.value);
    state.changed();
    return okJson(200, { succeeded: true });
  });

  // --- PUT vendor/{systemId}/accesspackages (`SystemRegisterService`): the isVisible rule uses the stored isVisible ---
  addRoute(ctx, "PUT", `${BASE}/vendor/:systemId/accesspackages`, async (req) => {
    const auth = await authorize(ctx, req, REGISTER_SCOPES);
    if (!auth.ok) return auth.reply;
    const json = readJson(req, "accessPackages");
    if (!json.ok) return json.reply;
    const bound = bindPackageList(json.value);
    if (!bound.ok) return bound.reply;
    const target = partialTarget(auth.caller, req.params.systemId!);
    if (!target.ok) return target.reply;
    const errors = validateSystemPackages(state, bound.value, target.system.isVisible);
    if (errors.length > 0) return validationProblem(errors);
    target.system.accessPackages = bound.value;
    delete target.system.accessPackagesNull;
    log(target.system, auth.caller, "accesspackageupdate", json.value);
    state.changed();
    return okJson(200, { succeeded: true });
  });

  // --- DELETE vendor/{systemId}: soft delete (`SystemRegisterService`) ---
  addRoute(ctx, "DELETE", `${BASE}/vendor/:systemId`, async (req) => {
    const auth = await authorize(ctx, req, REGISTER_SCOPES);
    if (!auth.ok) return auth.reply;
    const system = state.system(req.params.systemId!);
    if (!system) return aspnetValidationProblem({ return: ["System not found"] });
    if (!owns(auth.caller, system)) return emptyStatus(403);
    // Success needs both the flag update and the client-mapping delete to touch rows; the transaction
    // commits either way.
    const touchedMappings = !system.isDeleted && system.clientId.length > 0;
    const wasDeleted = system.isDeleted;
    // Only the client-id mapping rows are freed: GET still shows the old list (SetDeleteRegisteredSystemById;
    // `SetDeleteRegisteredSystemById`), and the ids are free for other systems (deleted systems are not looked at).
    system.isDeleted = true;
    if (!wasDeleted) log(system, auth.caller, "delete", null);
    state.changed();
    if (!touchedMappings && quirks()) return aspnetProblem(400);
    return okJson(200, { succeeded: true });
  });

  // --- GET vendor/{systemId}/changelog ---
  addRoute(ctx, "GET", `${BASE}/vendor/:systemId/changelog`, async (req) => {
    const auth = await authorize(ctx, req, REGISTER_SCOPES);
    if (!auth.ok) return auth.reply;
    const systemId = req.params.systemId!;
    const system = state.system(systemId);
    if (!system) return plainText(404, `System ${systemId} not found`);
    if (!owns(auth.caller, system)) return emptyStatus(403);
    return okJson(200, system.changelog);
  });

  // --- portal/BFF routes: need altinn:portal/enduser, so a vendor token gets 403 ---
  const portal = (answer: (req: SimRequest) => SimReply) => async (req: SimRequest) => {
    const auth = await authorize(ctx, req, [SCOPES.portalEnduser]);
    if (!auth.ok) return auth.reply;
    return answer(req);
  };
  const visibleSystem = (id: string) => {
    const s = state.system(id);
    return s && !s.isDeleted ? s : undefined;
  };
  addRoute(
    ctx,
    "GET",
    BASE,
    portal(() =>
      okJson(
        200,
        Object.values(state.systems.value)
          .filter((s) => !s.isDeleted)
          .map(systemListItem),
      ),
    ),
  );
  addRoute(
    ctx,
    "GET",
    `${BASE}/:systemId`,
    portal((req) => {
      const s = visibleSystem(req.params.systemId!);
      return s ? okJson(200, systemListItem(s)) : aspnetProblem(404);
    }),
  );
  addRoute(
    ctx,
    "GET",
    `${BASE}/:systemId/rights`,
    portal((req) => {
      const s = visibleSystem(req.params.systemId!);
      return s ? okJson(200, systemView(s).rights) : aspnetProblem(404);
    }),
  );
  addRoute(
    ctx,
    "GET",
    `${BASE}/:systemId/accesspackages`,
    portal((req) => {
      const s = visibleSystem(req.params.systemId!);
      return s ? okJson(200, systemView(s).accessPackages) : aspnetProblem(404);
    }),
  );
}

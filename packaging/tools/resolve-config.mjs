// Resolves a bundle's mcp_config the way an MCPB host (Claude Desktop) does, with the official
// library's own getMcpConfigForManifest: platform_overrides for this platform, user_config defaults
// merged with the user's values, then ${__dirname}, ${user_config.*} and the system directories
// substituted. Used by tests/packaging.rs.
//
//   node resolve-config.mjs EXTENSION_DIR USER_CONFIG_JSON  ->  {"command", "args", "env"} on stdout
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, sep } from "node:path";
import { getMcpConfigForManifest } from "@anthropic-ai/mcpb";

const [extensionPath, userConfigJson] = process.argv.slice(2);
const manifest = JSON.parse(readFileSync(join(extensionPath, "manifest.json"), "utf8"));
const home = homedir();
const config = await getMcpConfigForManifest({
  manifest,
  extensionPath,
  systemDirs: {
    HOME: home,
    DESKTOP: join(home, "Desktop"),
    DOCUMENTS: join(home, "Documents"),
    DOWNLOADS: join(home, "Downloads"),
  },
  userConfig: JSON.parse(userConfigJson),
  pathSeparator: sep,
});
if (!config) {
  console.error("resolve-config: the host would not start this bundle (required user_config missing?)");
  process.exit(1);
}
const { platform_overrides: _ignored, ...resolved } = config;
process.stdout.write(JSON.stringify(resolved));

package io.printmaster.installer.msi.impl;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;

/**
 * Writes the WiX 3 source ({@code .wxs}) that {@code wixl} turns into the agent's MSI: a per-machine x64 product
 * installing every payload file under {@code ProgramFiles64Folder\PrintMaster\Agent}, one component per file, and
 * the service host {@value #SERVICE_HOST} as the key file of the component that installs and controls the Windows
 * service {@value #SERVICE_NAME}. Installing it replaces an installed PrintMaster Agent of the same or an older
 * version (a major upgrade: the old product is removed first); a newer one makes it refuse to install.
 *
 * <p>Identifiers are stable across builds and versions: element ids are a short hash of the path
 * ({@code F3a5c…}: WiX ids allow only letters, digits, {@code _} and {@code .}, at most 72 characters), and
 * component GUIDs are name-based UUIDs of the path. Windows Installer's component rules want exactly that: the same
 * resource keeps the same component GUID in every version, so a major upgrade and a repair track each file. (wixl's
 * own {@code Guid="*"} works only for components holding a file, not for an empty folder's, so one rule for all.)
 *
 * <p>Every text taken from the payload is XML-escaped, and each {@code $} is written as
 * {@code $(var.}{@value #DOLLAR_VARIABLE}{@code )}: wixl's preprocessor expands {@code $(…)} everywhere and knows no
 * escape for it, so the build defines that variable as a literal {@code $}.
 */
final class WxsWriter {

    /** The upgrade code of every PrintMaster Agent MSI: never change it, or upgrades install side by side. */
    static final String UPGRADE_CODE = "{E007A81B-D17A-4D07-974E-57304F2E99C1}";
    /** The Windows service host, relative to the install folder (the official archive layout, docs/release-feed.md). */
    static final String SERVICE_HOST = "bin/pm-agent-service.exe";
    static final String SERVICE_NAME = "PrintMasterAgent";
    static final String SERVICE_DISPLAY_NAME = "PrintMaster Agent";
    static final String SERVICE_DESCRIPTION = "Runs the PrintMaster agent, which keeps this host's PrintMaster "
            + "software up to date for its fleet.";
    static final String PRODUCT_NAME = "PrintMaster Agent";
    static final String MANUFACTURER = "PrintMaster";
    /** Set by FindRelatedProducts when an installed PrintMaster Agent of this version or older is replaced. */
    static final String UPGRADE_PROPERTY = "PM_UPGRADE_FOUND";
    /** Set when a newer PrintMaster Agent is installed: installing this one is refused. */
    static final String NEWER_PROPERTY = "PM_NEWER_FOUND";
    /** The preprocessor variable the build defines as {@code $} (passed as {@code -D PmDollar=$}). */
    static final String DOLLAR_VARIABLE = "PmDollar";

    private final Set<String> usedIds = new HashSet<>();
    private final List<String> componentIds = new ArrayList<>();
    private final StringBuilder xml = new StringBuilder(16 * 1024);

    private final Path sourceDir;

    private WxsWriter(Path sourceDir) {
        this.sourceDir = sourceDir;
    }

    /**
     * @param payload        the files to install
     * @param productVersion {@code major.minor.patch}
     * @param agentVersion   the full version, as the {@code VERSION} file says, shown in the package description
     * @param sourceDir      the folder the {@code .wxs} is written to and wixl runs in; file sources are given
     *                       relative to it
     */
    static String write(Payload payload, String productVersion, String agentVersion, Path sourceDir) {
        return new WxsWriter(sourceDir).document(payload, productVersion, agentVersion);
    }

    /** A folder of the install tree, with its sub-folders and files. */
    private static final class Folder {
        final String name;
        final String path;
        final Map<String, Folder> children = new TreeMap<>();
        final List<Payload.File> files = new ArrayList<>();

        Folder(String name, String path) {
            this.name = name;
            this.path = path;
        }

        Folder child(String childName) {
            String childPath = path.isEmpty() ? childName : path + "/" + childName;
            return children.computeIfAbsent(childName.toLowerCase(Locale.ROOT), k -> new Folder(childName, childPath));
        }
    }

    private String document(Payload payload, String productVersion, String agentVersion) {
        Folder root = new Folder("Agent", "");
        for (Payload.File f : payload.files()) {
            folderOf(root, f.path()).files.add(f);
        }
        for (String empty : payload.emptyFolders()) {
            Folder folder = root;
            for (String segment : empty.split("/")) {
                folder = folder.child(segment);
            }
        }

        line(0, "<?xml version=\"1.0\" encoding=\"utf-8\"?>");
        line(0, "<!-- generated by io.printmaster.installer.msi from the official Windows agent zip; built with wixl -->");
        line(0, "<Wix xmlns=\"http://schemas.microsoft.com/wix/2006/wi\">");
        line(1, "<Product Id=\"*\" Name=\"" + PRODUCT_NAME + "\" Language=\"1033\" Version=\"" + productVersion
                + "\" Manufacturer=\"" + MANUFACTURER + "\" UpgradeCode=\"" + UPGRADE_CODE + "\">");
        line(2, "<Package InstallerVersion=\"500\" Compressed=\"yes\" InstallScope=\"perMachine\" Description=\""
                + attr(PRODUCT_NAME + " " + agentVersion) + "\" Comments=\"" + attr("Installs the PrintMaster agent "
                + agentVersion + " as the Windows service " + SERVICE_NAME) + "\"/>");
        // A major upgrade that also replaces the SAME version: each build has a new ProductCode, and the server
        // rebuilds the installer of one version whenever the fleet's files change (a new join token, a new policy),
        // so installing a newer download of the same version must replace the installed product, not sit beside
        // it. WiX's MajorUpgrade AllowSameVersionUpgrades does this, but wixl ignores that attribute and
        // UpgradeVersion's IncludeMaximum; so the range is written as "below the next version".
        String next = nextVersion(productVersion);
        line(2, "<Upgrade Id=\"" + UPGRADE_CODE + "\">");
        line(3, "<UpgradeVersion Minimum=\"0.0.0\" IncludeMinimum=\"yes\" Maximum=\"" + next
                + "\" IncludeMaximum=\"no\" Property=\"" + UPGRADE_PROPERTY + "\"/>");
        line(3, "<UpgradeVersion Minimum=\"" + next + "\" IncludeMinimum=\"yes\" OnlyDetect=\"yes\" Property=\""
                + NEWER_PROPERTY + "\"/>");
        line(2, "</Upgrade>");
        line(2, "<Condition Message=\"A newer version of " + PRODUCT_NAME + " is already installed.\">Installed OR NOT "
                + NEWER_PROPERTY + "</Condition>");
        // remove the old product before installing: files, service and all, so nothing of it lingers
        line(2, "<InstallExecuteSequence><RemoveExistingProducts After=\"InstallValidate\"/></InstallExecuteSequence>");
        line(2, "<Media Id=\"1\" Cabinet=\"agent.cab\" EmbedCab=\"yes\"/>");
        line(2, "<Property Id=\"PRINTMASTERAGENTVERSION\" Value=\"" + attr(agentVersion) + "\"/>");
        line(2, "<Directory Id=\"TARGETDIR\" Name=\"SourceDir\">");
        line(3, "<Directory Id=\"ProgramFiles64Folder\">");
        line(4, "<Directory Id=\"PrintMasterFolder\" Name=\"PrintMaster\">");
        // the install folder and its PrintMaster parent are the product's own folders too, so that an uninstall or
        // a rolled-back install removes them when empty (the data folder is elsewhere, in ProgramData); wixl
        // ignores RemoveFolder's Directory attribute, so each is a CreateFolder component in its folder
        ownFolder(5, "PrintMasterFolder");
        line(5, "<Directory Id=\"INSTALLDIR\" Name=\"Agent\">");
        ownFolder(6, "INSTALLDIR");
        folderContent(root, 6);
        line(5, "</Directory>");
        line(4, "</Directory>");
        line(3, "</Directory>");
        line(2, "</Directory>");
        line(2, "<Feature Id=\"Agent\" Title=\"" + PRODUCT_NAME + "\" Level=\"1\" Absent=\"disallow\">");
        for (String id : componentIds) {
            line(3, "<ComponentRef Id=\"" + id + "\"/>");
        }
        line(2, "</Feature>");
        line(1, "</Product>");
        line(0, "</Wix>");
        return xml.toString();
    }

    /**
     * The smallest ProductVersion above {@code version} ({@code major.minor.build}, as {@link MsiProductVersion}
     * checked): 1.4.2 → 1.4.3, 1.4.65535 → 1.5.0, 1.255.65535 → 2.0.0.
     */
    static String nextVersion(String version) {
        String[] parts = version.split("\\.");
        int major = Integer.parseInt(parts[0]);
        int minor = Integer.parseInt(parts[1]);
        int build = Integer.parseInt(parts[2]);
        if (build < 65535) {
            return major + "." + minor + "." + (build + 1);
        }
        if (minor < 255) {
            return major + "." + (minor + 1) + ".0";
        }
        // 255.255.65535 has no successor; 256.0.0 is past the limit, but as an exclusive bound it still works
        return (major + 1) + ".0.0";
    }

    private static Folder folderOf(Folder root, String filePath) {
        Folder folder = root;
        String[] segments = filePath.split("/");
        for (int i = 0; i < segments.length - 1; i++) {
            folder = folder.child(segments[i]);
        }
        return folder;
    }

    private void folderContent(Folder folder, int depth) {
        for (Payload.File f : folder.files) {
            fileComponent(f, depth);
        }
        if (folder.files.isEmpty() && folder.children.isEmpty() && !folder.path.isEmpty()) {
            // an empty folder of the artifact (etc/ without fleet files): created on install, removed on uninstall
            String componentId = id("C", "folder:" + folder.path);
            componentIds.add(componentId);
            line(depth, "<Component Id=\"" + componentId + "\" Guid=\"" + guid("folder:" + folder.path)
                    + "\" Win64=\"yes\"><CreateFolder/></Component>");
        }
        for (Folder child : folder.children.values()) {
            line(depth, "<Directory Id=\"" + id("D", "folder:" + child.path) + "\" Name=\"" + attr(child.name) + "\">");
            folderContent(child, depth + 1);
            line(depth, "</Directory>");
        }
    }

    private void ownFolder(int depth, String directoryId) {
        String componentId = id("C", "own-folder:" + directoryId);
        componentIds.add(componentId);
        line(depth, "<Component Id=\"" + componentId + "\" Guid=\"" + guid("own-folder:" + directoryId)
                + "\" Win64=\"yes\"><CreateFolder/></Component>");
    }

    private void fileComponent(Payload.File f, int depth) {
        boolean serviceHost = Payload.key(f.path()).equals(SERVICE_HOST);
        // the service's component id is known before writing: the recovery actions added after wixl name it
        String componentId = serviceHost ? serviceComponentId() : id("C", "file:" + f.path());
        if (serviceHost) {
            usedIds.add(componentId);
        }
        String fileId = id("F", "file:" + f.path());
        componentIds.add(componentId);
        String name = f.path().substring(f.path().lastIndexOf('/') + 1);
        line(depth, "<Component Id=\"" + componentId + "\" Guid=\"" + guid("file:" + f.path()) + "\" Win64=\"yes\">");
        // wixl takes only relative sources (an absolute one is "not found"): relative to the work folder, where the
        // .wxs is written and wixl runs
        line(depth + 1, "<File Id=\"" + fileId + "\" Name=\"" + attr(name) + "\" Source=\""
                + attr(sourceDir.relativize(f.content()).toString().replace('\\', '/')) + "\" KeyPath=\"yes\"/>");
        if (serviceHost) {
            line(depth + 1, "<ServiceInstall Id=\"AgentService\" Name=\"" + SERVICE_NAME + "\" DisplayName=\""
                    + SERVICE_DISPLAY_NAME + "\" Description=\"" + attr(SERVICE_DESCRIPTION) + "\" Type=\"ownProcess\""
                    + " Start=\"auto\" ErrorControl=\"normal\" Account=\"LocalSystem\" Vital=\"yes\"/>");
            line(depth + 1, "<ServiceControl Id=\"AgentServiceControl\" Name=\"" + SERVICE_NAME + "\""
                    + " Start=\"install\" Stop=\"both\" Remove=\"uninstall\" Wait=\"yes\"/>");
        }
        line(depth, "</Component>");
    }

    /** The id of the component holding the service host and its {@code ServiceInstall}. */
    static String serviceComponentId() {
        return hashId("C", "file:" + SERVICE_HOST);
    }

    private static String hashId(String prefix, String key) {
        return prefix + HexFormat.of().formatHex(sha256(key.toLowerCase(Locale.ROOT)), 0, 8);
    }

    /** A short WiX id from a hash of the (case-folded) key, unique within the document. */
    private String id(String prefix, String key) {
        String id = hashId(prefix, key);
        String hex = id.substring(prefix.length());
        for (int n = 2; !usedIds.add(id); n++) {
            id = prefix + hex + "_" + n; // a 64-bit collision: never seen, but never a broken package either
        }
        return id;
    }

    /** The component GUID of a path: a name-based UUID, the same in every build. */
    static String guid(String key) {
        UUID uuid = UUID.nameUUIDFromBytes(("io.printmaster.installer.msi:" + key.toLowerCase(Locale.ROOT))
                .getBytes(StandardCharsets.UTF_8));
        return "{" + uuid.toString().toUpperCase(Locale.ROOT) + "}";
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    /** An attribute value: XML-escaped, and {@code $} hidden from wixl's preprocessor. */
    static String attr(String value) {
        StringBuilder out = new StringBuilder(value.length() + 16);
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&apos;");
                case '$' -> out.append("$(var.").append(DOLLAR_VARIABLE).append(')');
                default -> {
                    if (c < 0x20) {
                        // names are checked to be printable before; a control character in a temp path is no name
                        out.append("&#").append((int) c).append(';');
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.toString();
    }

    private void line(int depth, String text) {
        xml.append("  ".repeat(depth)).append(text).append('\n');
    }
}

package io.printmaster.installer.msi.impl;

import io.printmaster.api.installer.InstallerFormatException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The MSI {@code ProductVersion} for an agent version. Windows Installer accepts only numbers,
 * {@code major.minor.build} with major and minor at most 255 and build at most 65535, and compares only these three
 * fields when deciding on an upgrade. So the semantic version's pre-release and build parts are dropped:
 * {@code 0.1.0-SNAPSHOT} and {@code 0.1.0-rc.1} both become {@code 0.1.0}. Packages that differ only in those parts
 * have the same ProductVersion; as the MSI replaces an installed product of the same version (see {@link WxsWriter}),
 * installing {@code 0.1.0} over {@code 0.1.0-rc.1} still works, and so would the reverse.
 */
final class MsiProductVersion {

    private static final Pattern SEMVER = Pattern.compile(
            "(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)(?:-[0-9A-Za-z.-]+)?(?:\\+[0-9A-Za-z.-]+)?");

    private MsiProductVersion() {
    }

    /**
     * @param version the text of the artifact's {@code VERSION} file (surrounding white space ignored)
     * @return {@code major.minor.patch}
     * @throws InstallerFormatException when it is no semantic version or a number is past the MSI limits
     */
    static String of(String version) throws InstallerFormatException {
        String v = version.strip();
        Matcher m = SEMVER.matcher(v);
        if (!m.matches()) {
            throw new InstallerFormatException("the VERSION file of the official Windows artifact holds '" + shorten(v)
                    + "', not a version such as 1.4.0 or 0.1.0-SNAPSHOT");
        }
        long major = parse(m.group(1));
        long minor = parse(m.group(2));
        long patch = parse(m.group(3));
        if (major > 255 || minor > 255 || patch > 65535) {
            throw new InstallerFormatException("version " + v + " cannot be an MSI ProductVersion: Windows Installer "
                    + "allows at most 255.255.65535");
        }
        return major + "." + minor + "." + patch;
    }

    private static long parse(String digits) {
        // more digits than a long holds is past every limit anyway
        return digits.length() > 9 ? Long.MAX_VALUE : Long.parseLong(digits);
    }

    private static String shorten(String s) {
        return s.length() <= 60 ? s : s.substring(0, 60) + "…";
    }
}

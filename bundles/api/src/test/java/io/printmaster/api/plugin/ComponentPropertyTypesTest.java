package io.printmaster.api.plugin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import aQute.bnd.osgi.Builder;
import aQute.bnd.osgi.Jar;
import aQute.bnd.osgi.Resource;
import io.printmaster.api.example.ExampleInstallerFormat;
import io.printmaster.api.example.ExampleReleaseSource;
import io.printmaster.api.example.ExampleServiceManager;
import io.printmaster.api.example.ExampleSigningProvider;
import io.printmaster.api.installer.InstallerFormat;
import io.printmaster.api.release.ReleaseSource;
import io.printmaster.api.service.ServiceManager;
import io.printmaster.api.signing.SigningProvider;
import java.io.File;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * Builds the example plugins of the test sources with bnd, exactly as a vendor's build would, and reads the
 * component descriptions it generates: the plugin annotations must give the documented service properties.
 */
class ComponentPropertyTypesTest {

    private static final Map<String, Map<String, String>> PROPERTIES = new LinkedHashMap<>();

    @BeforeAll
    static void buildExampleBundle() throws Exception {
        File testClasses = new File(ExampleReleaseSource.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        File apiClasses = new File(ReleaseSource.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        try (Builder builder = new Builder()) {
            builder.addClasspath(testClasses);
            builder.addClasspath(apiClasses);
            builder.setProperty("Bundle-SymbolicName", "example.plugins");
            builder.setProperty("Private-Package", "io.printmaster.api.example");
            builder.setProperty("-dsannotations", "*");
            Jar jar = builder.build();
            assertTrue(builder.getErrors().isEmpty(), () -> "bnd errors: " + builder.getErrors());
            assertTrue(builder.getWarnings().stream().noneMatch(w -> w.contains("ComponentPropertyType")),
                    () -> "bnd warnings: " + builder.getWarnings());
            for (Class<?> c : new Class<?>[] {ExampleReleaseSource.class, ExampleInstallerFormat.class,
                    ExampleSigningProvider.class, ExampleServiceManager.class}) {
                Resource xml = jar.getResource("OSGI-INF/" + c.getName() + ".xml");
                assertNotNull(xml, "bnd generated no component description for " + c.getName());
                try (InputStream in = xml.openInputStream()) {
                    PROPERTIES.put(c.getSimpleName(), properties(in));
                }
            }
        }
    }

    private static Map<String, String> properties(InputStream in) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        Document doc = f.newDocumentBuilder().parse(in);
        NodeList nodes = doc.getElementsByTagName("property");
        Map<String, String> props = new LinkedHashMap<>();
        for (int i = 0; i < nodes.getLength(); i++) {
            Element e = (Element) nodes.item(i);
            props.put(e.getAttribute("name"), e.getAttribute("value"));
        }
        return props;
    }

    @Test
    void releaseSourceType() {
        Map<String, String> p = PROPERTIES.get("ExampleReleaseSource");
        assertEquals("printmaster.release.source.type", ReleaseSource.TYPE);
        assertEquals("example-feed", p.get(ReleaseSource.TYPE), p.toString());
        assertEquals("Example feed", p.get("printmaster.plugin.name"), p.toString());
        assertEquals(2, p.size(), p.toString());
    }

    @Test
    void installerFormatType() {
        Map<String, String> p = PROPERTIES.get("ExampleInstallerFormat");
        assertEquals("printmaster.installer.format.type", InstallerFormat.TYPE);
        assertEquals("msi", p.get(InstallerFormat.TYPE), p.toString());
        assertEquals("Example MSI", p.get(InstallerFormat.PLUGIN_NAME), p.toString());
    }

    @Test
    void signingProviderTypeWithDefaultAlgorithm() {
        Map<String, String> p = PROPERTIES.get("ExampleSigningProvider");
        assertEquals("printmaster.signing.provider.name", SigningProvider.NAME);
        assertEquals("bouncycastle", p.get(SigningProvider.NAME), p.toString());
        assertEquals("Ed25519", p.get(SigningProvider.ALGORITHM), p.toString());
        assertEquals("Example signer", p.get(SigningProvider.PLUGIN_NAME), p.toString());
    }

    @Test
    void serviceManagerTypeWithoutPluginName() {
        Map<String, String> p = PROPERTIES.get("ExampleServiceManager");
        assertEquals("printmaster.service.manager.name", ServiceManager.NAME);
        assertEquals(Map.of(ServiceManager.NAME, "systemd"), p);
    }

    @Test
    void pluginNamePropertyIsWhatTheServerListingReads() {
        assertEquals("printmaster.plugin.name", PluginName.PROPERTY);
        assertEquals(PluginName.PROPERTY, ReleaseSource.PLUGIN_NAME);
        assertEquals(PluginName.PROPERTY, ServiceManager.PLUGIN_NAME);
    }
}

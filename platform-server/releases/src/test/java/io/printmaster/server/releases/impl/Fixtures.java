package io.printmaster.server.releases.impl;

import java.lang.annotation.Annotation;

/** Configurations as Declarative Services would pass them, with the defaults of their metatype. */
final class Fixtures {
    private Fixtures() {
    }

    static ManifestService.Config manifestConfig(int validityDays, int marginDays) {
        return manifestConfig(validityDays, marginDays, 180);
    }

    static ManifestService.Config manifestConfig(int validityDays, int marginDays, int leaseTtlSeconds) {
        return new ManifestService.Config() {
            @Override
            public int validity__days() {
                return validityDays;
            }

            @Override
            public int renew__margin__days() {
                return marginDays;
            }

            @Override
            public int renew__check__minutes() {
                return 60;
            }

            @Override
            public int lease__ttl__seconds() {
                return leaseTtlSeconds;
            }

            @Override
            public Class<? extends Annotation> annotationType() {
                return ManifestService.Config.class;
            }
        };
    }

    static ReleaseIntake.Config intakeConfig(int keepVersions) {
        return intakeConfig(keepVersions, 90);
    }

    static ReleaseIntake.Config intakeConfig(int keepVersions, int leaseTtlSeconds) {
        return new ReleaseIntake.Config() {
            @Override
            public int interval__minutes() {
                return 60;
            }

            @Override
            public int keep__versions() {
                return keepVersions;
            }

            @Override
            public long max__asset__bytes() {
                return 64L * 1024 * 1024;
            }

            @Override
            public int idle__timeout__seconds() {
                return 30;
            }

            @Override
            public int asset__timeout__minutes() {
                return 5;
            }

            @Override
            public int max__pages() {
                return 20;
            }

            @Override
            public long min__rate__bytes__per__second() {
                return 4096;
            }

            @Override
            public int rate__grace__seconds() {
                return 30;
            }

            @Override
            public int listing__timeout__seconds() {
                return 300;
            }

            @Override
            public int source__settle__seconds() {
                return 0;
            }

            @Override
            public int lease__ttl__seconds() {
                return leaseTtlSeconds;
            }

            @Override
            public Class<? extends Annotation> annotationType() {
                return ReleaseIntake.Config.class;
            }
        };
    }
}

package io.printmaster.server.releases.impl;

import java.lang.annotation.Annotation;

/** Configurations as Declarative Services would pass them, with the defaults of their metatype. */
final class Fixtures {
    private Fixtures() {
    }

    static ManifestService.Config manifestConfig(int validityDays, int marginDays) {
        return new ManifestService.Config() {
            @Override
            public int validity_days() {
                return validityDays;
            }

            @Override
            public int renew_margin_days() {
                return marginDays;
            }

            @Override
            public int renew_check_minutes() {
                return 60;
            }

            @Override
            public Class<? extends Annotation> annotationType() {
                return ManifestService.Config.class;
            }
        };
    }

    static ReleaseIntake.Config intakeConfig(int keepVersions) {
        return new ReleaseIntake.Config() {
            @Override
            public int interval_minutes() {
                return 60;
            }

            @Override
            public int keep_versions() {
                return keepVersions;
            }

            @Override
            public long max_asset_bytes() {
                return 64L * 1024 * 1024;
            }

            @Override
            public int idle_timeout_seconds() {
                return 30;
            }

            @Override
            public int asset_timeout_minutes() {
                return 5;
            }

            @Override
            public int max_pages() {
                return 20;
            }

            @Override
            public int source_settle_seconds() {
                return 0;
            }

            @Override
            public Class<? extends Annotation> annotationType() {
                return ReleaseIntake.Config.class;
            }
        };
    }
}

package androidx.test.platform.app;

import android.app.Instrumentation;
import android.os.Bundle;

/**
 * COMPILE-ONLY STAND-IN for androidx.test:monitor's registry (Google's Maven
 * repository only, unreachable here), with the public signatures the tests
 * use. Never packaged; the Gradle build uses the real artifact.
 */
public final class InstrumentationRegistry {
    private InstrumentationRegistry() {}

    public static Instrumentation getInstrumentation() {
        throw new UnsupportedOperationException("compile-only stub");
    }

    public static Bundle getArguments() {
        throw new UnsupportedOperationException("compile-only stub");
    }
}

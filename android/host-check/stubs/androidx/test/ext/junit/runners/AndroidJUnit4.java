package androidx.test.ext.junit.runners;

import org.junit.runner.Description;
import org.junit.runner.Runner;
import org.junit.runner.notification.RunNotifier;

/**
 * COMPILE-ONLY STAND-IN for androidx.test.ext:junit's runner (Google's Maven
 * repository only, unreachable here), with the public signature the tests
 * use. Never packaged; the Gradle build uses the real artifact.
 */
public final class AndroidJUnit4 extends Runner {
    public AndroidJUnit4(Class<?> klass) {
        throw new UnsupportedOperationException("compile-only stub");
    }

    @Override
    public Description getDescription() {
        throw new UnsupportedOperationException("compile-only stub");
    }

    @Override
    public void run(RunNotifier notifier) {
        throw new UnsupportedOperationException("compile-only stub");
    }
}

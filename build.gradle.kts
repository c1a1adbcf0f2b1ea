buildscript {
    repositories {
        google()
        mavenCentral()
    }
    dependencies {
        // AGP 9 compiles Kotlin itself and brings KGP 2.2.10; a newer KGP on
        // the build classpath raises it (AGP 9.0 release notes, "runtime
        // dependency on Kotlin Gradle plugin").
        classpath(libs.kotlin.gradle.plugin)
    }
}

plugins {
    alias(libs.plugins.android.library) apply false
}

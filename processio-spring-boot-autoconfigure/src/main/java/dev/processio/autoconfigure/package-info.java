/** Spring Boot auto-configuration for processio. */
package dev.processio.autoconfigure;
